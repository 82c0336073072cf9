using Gateway.Grains.Abstractions;

namespace Gateway.Front.Auth;

/// <summary>
/// The first step of every API request: who is calling. A refusal is written to the client by the step
/// itself, which then returns false; a caller let through comes with its key (none in pass-through mode).
/// </summary>
public interface ICallerAuthentication
{
    ValueTask<(bool Ok, KeyDescriptor? Key)> AuthenticateAsync(HttpContext context);
}
