using System.Net;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Identity;

/// <summary>
/// A person approving a device code in the browser, done over HTTP with cookies: oidc-provider's pages are
/// plain forms (code entry, confirmation, development login, consent), each submitted as a browser would
/// until the success page.
/// </summary>
internal static partial class DeviceApproval
{
    public static async Task ApproveAsync(Uri verificationUriComplete, string login)
    {
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true };
        using var browser = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
        using var first = await browser.GetAsync(verificationUriComplete);
        var page = await first.Content.ReadAsStringAsync();
        var at = first.RequestMessage!.RequestUri!;
        for (var step = 0; step < 10; step++)
        {
            if (page.Contains("Sign-in Success", StringComparison.Ordinal))
            {
                return;
            }
            var form = Form().Match(page);
            if (!form.Success)
            {
                throw new InvalidOperationException($"No form on {at} at step {step}:\n{page}");
            }
            var fields = new Dictionary<string, string>();
            foreach (Match input in Input().Matches(form.Groups["body"].Value))
            {
                var name = Attribute(input.Value, "name");
                if (name is not null)
                {
                    fields[name] = Attribute(input.Value, "value") ?? "";
                }
            }
            if (fields.ContainsKey("login"))
            {
                fields["login"] = login;
                fields["password"] = "any";
            }
            var action = new Uri(at, WebUtility.HtmlDecode(form.Groups["action"].Value));
            using var response = await browser.PostAsync(action, new FormUrlEncodedContent(fields));
            page = await response.Content.ReadAsStringAsync();
            at = response.RequestMessage!.RequestUri!;
        }
        throw new InvalidOperationException($"The device approval did not reach the success page:\n{page}");
    }

    private static string? Attribute(string tag, string name)
    {
        var match = Regex.Match(tag, $"\\s{name}=\"(?<v>[^\"]*)\"");
        return match.Success ? WebUtility.HtmlDecode(match.Groups["v"].Value) : null;
    }

    [GeneratedRegex("<form[^>]*action=\"(?<action>[^\"]*)\"[^>]*>(?<body>.*?)</form>", RegexOptions.Singleline)]
    private static partial Regex Form();

    [GeneratedRegex("<input[^>]*>", RegexOptions.Singleline)]
    private static partial Regex Input();
}
