using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Gateway.Front.Settlement;

/// <summary>
/// Tells a settlement failure no retry can fix (the charge itself is bad) from one that passes (a silo
/// or Postgres down). A grain's store error reaches the front as the Npgsql exception itself (the
/// cluster registers the Npgsql namespace with Orleans' exception codec), but the codec carries only its
/// message, not its properties: <see cref="PostgresException.SqlState"/> arrives null, and the message's
/// own "22021: …" prefix (Npgsql's format) is what tells the class (a test round-trips a real one).
/// </summary>
internal static class SettlementFailures
{
    /// <summary>
    /// Permanent: a Postgres data exception (class 22: NUL in text, a number out of range), integrity
    /// violation (class 23) or program limit (class 54: a value too big for an index row), or a
    /// deterministic error in pricing the charge (overflow, bad argument).
    /// Everything else — no connection, timeouts, a silo gone, an unknown error — is retried.
    /// </summary>
    public static bool IsPermanent(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException p:
                    return IsDataClass(p.SqlState) || IsDataClass(StateFromMessage(p.Message));
                case NpgsqlException or IOException or SocketException or TimeoutException or OperationCanceledException:
                    return false;
                case OverflowException or ArgumentException or FormatException or InvalidCastException or EncoderFallbackException:
                    return true;
            }
        }
        return false;
    }

    /// <summary>What is kept of the failure: the SQLSTATE and the error's words, capped (never a charge's data).</summary>
    public static string Reason(Exception e)
    {
        var root = e;
        for (var current = e; current is not null; current = current.InnerException)
        {
            if (current is PostgresException)
            {
                root = current;
                break;
            }
            root = current;
        }
        // Across Orleans a PostgresException keeps its message ("22021: …") but not its SqlState property.
        var text = root switch
        {
            PostgresException { SqlState.Length: 5 } p => $"{p.SqlState}: {p.MessageText}",
            PostgresException when StateFromMessage(root.Message) is not null => root.Message,
            _ => $"{root.GetType().Name}: {root.Message}",
        };
        return Gateway.Grains.Text.BoundedText.Clean(text, 300)!;
    }

    private static bool IsDataClass(string? state) =>
        state is { Length: 5 } && (state.StartsWith("22", StringComparison.Ordinal) || state.StartsWith("23", StringComparison.Ordinal)
                                   || state.StartsWith("54", StringComparison.Ordinal));

    private static string? StateFromMessage(string message) =>
        message.Length > 7 && message[5] == ':' && message[6] == ' ' ? message[..5] : null;
}
