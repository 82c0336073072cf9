namespace Gateway.Grains.Storage;

/// <summary>A key-store change the data does not allow; <see cref="Error"/> says which rule it broke.</summary>
public sealed class KeyStoreException(KeyStoreError error, string message, Exception? inner = null) : Exception(message, inner)
{
    public KeyStoreError Error { get; } = error;
}

public enum KeyStoreError
{
    /// <summary>Another team already has this name.</summary>
    DuplicateTeamName,

    /// <summary>The key names a team that does not exist.</summary>
    UnknownTeam,

    /// <summary>Another key already has this secret hash (only possible by reusing a secret).</summary>
    DuplicateSecret,
}
