using System.Text.Json;

namespace Gateway.Front.Admin;

/// <summary>
/// Reads the fields of one JSON object by hand, so a request can tell an absent field from a null one
/// (PATCH semantics) and every mistake gets a message naming the field: unknown fields, wrong types,
/// negative limits. Collects all errors instead of stopping at the first.
/// </summary>
internal sealed class JsonFields
{
    public const int MaxStringLength = 200;
    public const int MaxListLength = 1000;

    private readonly JsonElement _object;
    private readonly string _path;
    private readonly List<string> _errors;

    private JsonFields(JsonElement obj, string path, List<string> errors)
    {
        _object = obj;
        _path = path;
        _errors = errors;
    }

    /// <summary>Fields of <paramref name="element"/>, which must be an object with only <paramref name="known"/> members.</summary>
    public static JsonFields? Of(JsonElement element, string path, List<string> errors, params string[] known)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(path.Length == 0 ? "The request body must be a JSON object." : $"{path} must be an object or null.");
            return null;
        }
        foreach (var property in element.EnumerateObject())
        {
            if (Array.IndexOf(known, property.Name) < 0)
            {
                errors.Add($"Unknown field '{path}{(path.Length == 0 ? "" : ".")}{property.Name}'; expected one of: {string.Join(", ", known)}.");
            }
        }
        return new JsonFields(element, path, errors);
    }

    private const string Unprintable = "must be printable text (no control characters, NUL or lone surrogates)";

    /// <summary>
    /// A string value if it is printable, else null: names and billing tags reach Postgres, metric labels
    /// and the billing CSV, where a NUL fails the write and a control character forges a line.
    /// </summary>
    private static string? Text(JsonElement value)
    {
        try
        {
            var text = value.GetString()!;
            return Gateway.Grains.Text.BoundedText.IsPrintable(text) ? text : null;
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate escape: no string at all.
            return null;
        }
    }

    public Field<string?> String(string name, bool required = false, bool nullable = true)
    {
        if (!TryGet(name, required, out var value))
        {
            return Field<string?>.Absent;
        }
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (!nullable)
            {
                Error(name, "must be a string, not null");
            }
            return new(true, null);
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            Error(name, $"must be a string, got {Raw(value)}");
            return Field<string?>.Absent;
        }
        var text = Text(value);
        if (text is null)
        {
            Error(name, Unprintable);
            return Field<string?>.Absent;
        }
        if (!nullable && string.IsNullOrWhiteSpace(text))
        {
            Error(name, "must not be empty");
        }
        else if (text.Length > MaxStringLength)
        {
            Error(name, $"must be at most {MaxStringLength} characters");
        }
        return new(true, text);
    }

    /// <summary>A non-negative whole number or null (null: unlimited).</summary>
    public Field<long?> Count(string name)
    {
        if (!TryGet(name, false, out var value))
        {
            return Field<long?>.Absent;
        }
        if (value.ValueKind == JsonValueKind.Null)
        {
            return new(true, null);
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) && count >= 0)
        {
            return new(true, count);
        }
        Error(name, $"must be a non-negative integer or null, got {Raw(value)}");
        return Field<long?>.Absent;
    }

    public Field<int?> SmallCount(string name)
    {
        var count = Count(name);
        if (count.Value > int.MaxValue)
        {
            Error(name, $"must be at most {int.MaxValue}");
            return Field<int?>.Absent;
        }
        return new(count.IsSet, (int?)count.Value);
    }

    /// <summary>A non-negative amount of US dollars or null (null: no budget).</summary>
    public Field<decimal?> Usd(string name)
    {
        if (!TryGet(name, false, out var value))
        {
            return Field<decimal?>.Absent;
        }
        if (value.ValueKind == JsonValueKind.Null)
        {
            return new(true, null);
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var usd) && usd >= 0)
        {
            return new(true, usd);
        }
        Error(name, $"must be a non-negative number of USD or null, got {Raw(value)}");
        return Field<decimal?>.Absent;
    }

    /// <summary>true, false, or null.</summary>
    public Field<bool?> Bool(string name)
    {
        if (!TryGet(name, false, out var value))
        {
            return Field<bool?>.Absent;
        }
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return new(true, null);
            case JsonValueKind.True:
                return new(true, true);
            case JsonValueKind.False:
                return new(true, false);
            default:
                Error(name, $"must be true, false or null, got {Raw(value)}");
                return Field<bool?>.Absent;
        }
    }

    /// <summary>One of <paramref name="allowed"/>, or null.</summary>
    public Field<string?> OneOf(string name, params string[] allowed)
    {
        if (!TryGet(name, false, out var value))
        {
            return Field<string?>.Absent;
        }
        if (value.ValueKind == JsonValueKind.Null)
        {
            return new(true, null);
        }
        if (value.ValueKind == JsonValueKind.String && Array.IndexOf(allowed, value.GetString()) >= 0)
        {
            return new(true, value.GetString());
        }
        Error(name, $"must be {string.Join(", ", allowed.Select(a => $"\"{a}\""))} or null, got {Raw(value)}");
        return Field<string?>.Absent;
    }

    /// <summary>A list of non-empty strings; null reads as an empty list.</summary>
    public Field<IReadOnlyList<string>> Strings(string name)
    {
        if (!TryGet(name, false, out var value))
        {
            return Field<IReadOnlyList<string>>.Absent;
        }
        if (value.ValueKind == JsonValueKind.Null)
        {
            return new(true, []);
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(name, $"must be an array of strings, got {Raw(value)}");
            return Field<IReadOnlyList<string>>.Absent;
        }
        if (value.GetArrayLength() > MaxListLength)
        {
            Error(name, $"must have at most {MaxListLength} entries");
            return Field<IReadOnlyList<string>>.Absent;
        }
        var items = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            var text = item.ValueKind == JsonValueKind.String ? Text(item) : null;
            if (string.IsNullOrWhiteSpace(text) || text.Length > MaxStringLength)
            {
                Error(name, $"must contain only non-empty printable strings of at most {MaxStringLength} characters, got {Raw(item)}");
                return Field<IReadOnlyList<string>>.Absent;
            }
            items.Add(text);
        }
        return new(true, items);
    }

    /// <summary>A nested object: absent, null (Value null, IsSet true), or its fields.</summary>
    public Field<JsonFields?> Object(string name, params string[] known)
    {
        if (!TryGet(name, false, out var value))
        {
            return Field<JsonFields?>.Absent;
        }
        if (value.ValueKind == JsonValueKind.Null)
        {
            return new(true, null);
        }
        var nested = Of(value, Path(name), _errors, known);
        return nested is null ? Field<JsonFields?>.Absent : new(true, nested);
    }

    private bool TryGet(string name, bool required, out JsonElement value)
    {
        if (_object.TryGetProperty(name, out value))
        {
            return true;
        }
        if (required)
        {
            Error(name, "is required");
        }
        return false;
    }

    private void Error(string name, string problem) => _errors.Add($"{Path(name)} {problem}.");

    private string Path(string name) => _path.Length == 0 ? name : $"{_path}.{name}";

    private static string Raw(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "…";
    }
}
