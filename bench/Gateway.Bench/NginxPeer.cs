using System.Diagnostics;

namespace Gateway.Bench;

/// <summary>
/// nginx as a plain reverse proxy in front of the fake upstream: no buffering either way (SSE and request
/// bodies stream), an HTTP/1.1 keep-alive pool to the upstream, no access log. The configuration is written
/// to a temp directory; nginx runs in the foreground as a child process and is killed at the end.
/// </summary>
internal static class NginxPeer
{
    public const string HealthPath = "nginx-health";

    /// <summary>Open files per nginx worker: the soft limit the bench runs with (raised to its hard limit at start).</summary>
    private static int FileLimit => (int)Math.Min(int.MaxValue, FileLimits.Current);

    public static string? Version()
    {
        try
        {
            using var nginx = Process.Start(new ProcessStartInfo("nginx", "-v") { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var text = nginx.StandardError.ReadToEnd() + nginx.StandardOutput.ReadToEnd();
            nginx.WaitForExit();
            return text.Trim().Replace("nginx version: ", "");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // not installed
        }
    }

    public static async Task<ChildProcess> StartAsync(Uri upstream, string scratch)
    {
        var port = ChildProcess.FreePort();
        var prefix = Path.Combine(scratch, "nginx");
        Directory.CreateDirectory(prefix);
        var config = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(config, Config(upstream, port, prefix));
        // -e: the error log from the start (before the configuration is read), -p: relative paths in the temp dir.
        return await ChildProcess.StartProgramAsync("nginx", ["-e", "stderr", "-p", prefix, "-c", config], new Dictionary<string, string>(), port, HealthPath);
    }

    private static string Config(Uri upstream, int port, string prefix) => $$"""
        # Written by bench/Gateway.Bench (NginxPeer): nginx as a plain streaming reverse proxy.
        daemon off;
        worker_processes auto;
        pid {{prefix}}/nginx.pid;
        error_log stderr warn;
        # The open-streams scenario holds 10,000 client connections, each with its upstream one (HTTP/1.1), spread
        # over the workers: room for all of them in one worker, up to the file limit the bench gives its children.
        worker_rlimit_nofile {{FileLimit}};
        events { worker_connections {{Math.Max(4096, FileLimit - 64)}}; }
        http {
            access_log off;
            client_body_temp_path {{prefix}}/client_body;
            proxy_temp_path {{prefix}}/proxy;
            fastcgi_temp_path {{prefix}}/fastcgi;
            uwsgi_temp_path {{prefix}}/uwsgi;
            scgi_temp_path {{prefix}}/scgi;
            client_max_body_size 32m;
            client_body_buffer_size 1m;
            keepalive_requests 1000000;
            upstream fake_upstream {
                server {{upstream.Host}}:{{upstream.Port}};
                keepalive 128;
                keepalive_requests 1000000;
            }
            server {
                listen 127.0.0.1:{{port}};
                location = /{{HealthPath}} { return 200 "ok"; }
                location / {
                    proxy_pass http://fake_upstream;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_buffering off;
                    proxy_request_buffering off;
                }
            }
        }
        """;
}
