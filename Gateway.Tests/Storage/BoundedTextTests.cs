using Gateway.Grains.Metrics;
using Gateway.Grains.Pricing;
using Gateway.Grains.Text;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Storage;

/// <summary>What reaches Postgres, labels and caches is printable and bounded, and the caches keyed by it stay bounded.</summary>
public class BoundedTextTests
{
    [Theory]
    [InlineData("claude-sonnet-4-5", true)]
    [InlineData("emoji 😀 ok", true)]
    [InlineData("nul\0", false)]
    [InlineData("tab\t", false)]
    [InlineData("c1\u0085", false)]
    [InlineData("", true)]
    public void Printable_means_no_control_character_and_no_lone_surrogate(string value, bool printable) =>
        Assert.Equal(printable, BoundedText.IsPrintable(value));

    [Fact]
    public void A_lone_surrogate_is_not_printable_and_a_pair_is()
    {
        // Built here: xUnit's theory data would turn a lone surrogate into U+FFFD before the test saw it.
        Assert.False(BoundedText.IsPrintable("lone" + (char)0xD800));
        Assert.False(BoundedText.IsPrintable((char)0xDC00 + "lone"));
        Assert.False(BoundedText.IsPrintable("a" + (char)0xDC00 + (char)0xD800 + "b"));
        Assert.True(BoundedText.IsPrintable("a" + (char)0xD83D + (char)0xDE00 + "b"));
    }

    [Fact]
    public void Clean_strips_controls_replaces_lone_surrogates_caps_length_and_keeps_clean_values_as_they_are()
    {
        const string clean = "claude-sonnet-4-5";
        Assert.Same(clean, BoundedText.Clean(clean, 256));
        Assert.Null(BoundedText.Clean(null, 256));
        Assert.Equal("ab\uFFFDc", BoundedText.Clean("a\0b\ud800\u001bc", 256));
        Assert.Equal(new string('x', 10), BoundedText.Clean(new string('x', 10_000), 10));
        // A pair is never cut in half.
        Assert.Equal("abc", BoundedText.Clean("abc😀", 4));
    }

    [Fact]
    public void The_price_cache_stays_bounded_however_many_model_names_come()
    {
        var table = new PriceTable(Options.Create(new PricingOptions()));
        var known = table.For("claude-sonnet-4-5");
        for (var i = 0; i < 20_000; i++)
        {
            table.For("hostile-model-" + i);
        }
        Assert.True(table.CachedModels <= PriceTable.MaxCachedModels, $"{table.CachedModels} names cached");
        Assert.Equal(known, table.For("claude-sonnet-4-5"));
        Assert.Equal(table.For("unknown-x"), table.For("unknown-y"));
    }

    [Fact]
    public void A_label_is_published_cleaned_and_cut_and_only_the_cut_form_is_kept()
    {
        var label = new BoundedLabel(limit: 3);
        Assert.Equal("claude", label.Of("claude"));
        Assert.Equal("abc", label.Of("a\0b\u0007c"));
        Assert.Equal(new string('m', BoundedLabel.MaxLength), label.Of(new string('m', 100_000)));
        Assert.Equal(new string('m', BoundedLabel.MaxLength), label.Of(new string('m', 200_000)));
        Assert.Equal(BoundedLabel.Overflow, label.Of("fourth"));
        Assert.Equal("unknown", label.Of("\0\0"));
    }
}
