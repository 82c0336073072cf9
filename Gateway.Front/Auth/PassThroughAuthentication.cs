using Gateway.Grains.Abstractions;

namespace Gateway.Front.Auth;

/// <summary>Pass-through mode (no virtual keys): every caller goes through with its own upstream credential.</summary>
public sealed class PassThroughAuthentication : ICallerAuthentication
{
    public ValueTask<(bool Ok, KeyDescriptor? Key)> AuthenticateAsync(HttpContext context) => new((true, null));
}
