using Gateway.Grains.Abstractions;

namespace Gateway.Front.Auth;

/// <summary>Pass-through mode (no virtual keys): every caller goes through with its own upstream credential.</summary>
public sealed class PassThroughAuthentication : ICallerAuthentication
{
    private static readonly ValueTask<(bool Ok, KeyDescriptor? Key)> Everyone = ValueTask.FromResult<(bool, KeyDescriptor?)>((true, null));

    public ValueTask<(bool Ok, KeyDescriptor? Key)> AuthenticateAsync(HttpContext context) => Everyone;
}
