namespace Gateway.Grains.Hosting;

/// <summary>
/// The cheapest grain call there is, answered by whichever silo the client's gateway is: a client that
/// has lost every gateway connection calls it to open a new one (Orleans connects only when it sends).
/// </summary>
public interface IClusterProbeGrain : IGrainWithIntegerKey
{
    Task PingAsync();
}
