using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

/// <summary>
/// A front run on its own serves HTTPS from a certificate path in Kestrel's endpoint configuration,
/// and picks up a renewed certificate written over the old files without a restart.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class TlsTests
{
    [Fact]
    public async Task Serves_https_from_pem_files_and_reloads_a_renewed_certificate()
    {
        var dir = Directory.CreateTempSubdirectory("gateway-tls-");
        var certPath = Path.Combine(dir.FullName, "tls.crt");
        var keyPath = Path.Combine(dir.FullName, "tls.key");
        var first = WritePem(certPath, keyPath, "CN=gateway-first");
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await FrontHost.StartAsync(upstream.BaseAddress, new Dictionary<string, string?>
        {
            // A fixed port: on a certificate change Kestrel re-binds the endpoint, and port 0 would move it.
            ["Kestrel:Endpoints:Https:Url"] = $"https://127.0.0.1:{ClusterProcesses.FreePort()}",
            ["Kestrel:Endpoints:Https:Certificate:Path"] = certPath,
            ["Kestrel:Endpoints:Https:Certificate:KeyPath"] = keyPath,
        });
        Assert.Equal("https", front.BaseAddress.Scheme);

        Assert.Equal(first, await ServedThumbprintAsync(front.BaseAddress));

        // Renewal (cert-manager, certbot) replaces the files in place.
        var second = WritePem(certPath, keyPath, "CN=gateway-renewed");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string? served = null;
        while (served != second && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                served = await ServedThumbprintAsync(front.BaseAddress);
            }
            catch (HttpRequestException)
            {
                // Kestrel re-binds the endpoint on a certificate change: a connection in that moment is reset.
            }
            if (served != second)
            {
                await Task.Delay(200);
            }
        }
        Assert.Equal(second, served);
        dir.Delete(recursive: true);
    }

    /// <summary>Sends a real Messages request over TLS and returns the certificate the server presented.</summary>
    private static async Task<string> ServedThumbprintAsync(Uri address)
    {
        string? thumbprint = null;
        using var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
#pragma warning disable CA5359 // the test's own self-signed certificate: it is checked by thumbprint below instead.
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => { thumbprint = certificate!.GetCertHashString(); return true; } },
#pragma warning restore CA5359
        };
        using var client = new HttpClient(handler) { BaseAddress = address };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-tls");
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return thumbprint!;
    }

    private static string WritePem(string certPath, string keyPath, string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        return certificate.GetCertHashString();
    }
}
