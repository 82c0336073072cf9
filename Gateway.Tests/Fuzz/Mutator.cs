using System.Text;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// Mutations of real inputs that reach the corners a parser gets wrong: byte flips, truncations,
/// insertions of JSON punctuation and keywords, deep nesting, invalid UTF-8, duplicated and deleted
/// slices. Deterministic for a given <see cref="Random"/>.
/// </summary>
internal static class Mutator
{
    private static readonly byte[][] Tokens =
    [
        .. new[]
        {
            "\"", "{", "}", "[", "]", ",", ":", "\\", "\\u", "\\ud800", "\\u0000", "null", "true", "false", "0", "-0",
            "1e999", "-1", "1.5", "9223372036854775808", " ", "\n", "\"\":", "\"model\":", "\"stream\":", "\"max_tokens\":",
            "\"cache_control\":{\"type\":\"ephemeral\"}", "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}",
            "{\"type\":\"text\",\"text\":\"x\"}", "\"tools\":[]", "\"system\":\"s\"", "\"messages\":[]",
            "event: message_delta\n", "data: ", "\n\n", "\r\n", "\r", "event: error\n",
            "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":7}}",
        }.Select(Encoding.UTF8.GetBytes),
        // Invalid UTF-8: a lone continuation byte, a truncated lead, an encoded surrogate, an overlong form, past U+10FFFF.
        [0x80], [0xC3], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xFE, 0xFF],
    ];

    public static byte[] Mutate(byte[] input, Random random, int maxMutations = 4)
    {
        var bytes = new List<byte>(input);
        var count = random.Next(1, maxMutations + 1);
        for (var i = 0; i < count; i++)
        {
            MutateOnce(bytes, random);
        }
        return bytes.ToArray();
    }

    private static void MutateOnce(List<byte> bytes, Random random)
    {
        var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count + 1);
        switch (random.Next(10))
        {
            case 0 when bytes.Count > 0: // flip one bit
                var i = random.Next(bytes.Count);
                bytes[i] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when bytes.Count > 0: // any byte at all
                bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                break;
            case 2: // truncate
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 3:
            case 4: // punctuation, keywords, invalid UTF-8
                bytes.InsertRange(at, Tokens[random.Next(Tokens.Length)]);
                break;
            case 5: // deep nesting, around and beyond the limit of 128
                var depth = random.Next(2) == 0 ? random.Next(120, 140) : random.Next(500, 5000);
                var open = random.Next(2) == 0 ? (byte)'[' : (byte)'{';
                var nest = new byte[depth];
                Array.Fill(nest, open);
                bytes.InsertRange(at, open == (byte)'{' ? Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", depth))) : nest);
                if (random.Next(2) == 0)
                {
                    var close = new byte[depth];
                    Array.Fill(close, open == (byte)'[' ? (byte)']' : (byte)'}');
                    bytes.InsertRange(Math.Min(bytes.Count, at + (open == (byte)'{' ? depth * 5 : depth)), close);
                }
                break;
            case 6 when bytes.Count > 0: // delete a slice
                var length = Math.Min(random.Next(1, 64), bytes.Count - Math.Min(at, bytes.Count - 1));
                bytes.RemoveRange(Math.Min(at, bytes.Count - 1), length);
                break;
            case 7 when bytes.Count > 0: // duplicate a slice
                var from = random.Next(bytes.Count);
                var slice = bytes.GetRange(from, Math.Min(random.Next(1, 256), bytes.Count - from));
                bytes.InsertRange(at, slice);
                break;
            case 8: // random bytes
                var noise = new byte[random.Next(1, 16)];
                random.NextBytes(noise);
                bytes.InsertRange(at, noise);
                break;
            default: // swap two bytes
                if (bytes.Count > 1)
                {
                    int a = random.Next(bytes.Count), b = random.Next(bytes.Count);
                    (bytes[a], bytes[b]) = (bytes[b], bytes[a]);
                }
                break;
        }
    }

    /// <summary>Random bytes, sometimes biased towards JSON/SSE punctuation so the parsers get past the first byte.</summary>
    public static byte[] Noise(Random random, int maxLength = 512)
    {
        var bytes = new byte[random.Next(0, maxLength)];
        if (random.Next(2) == 0)
        {
            random.NextBytes(bytes);
            return bytes;
        }
        const string alphabet = "{}[]\":,\\ \n\rabcdeilmnorstu0123456789.-+eE";
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)alphabet[random.Next(alphabet.Length)];
        }
        return bytes;
    }
}
