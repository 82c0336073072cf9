using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Console;

/// <summary>
/// A person signing in to the console over HTTP with cookies, as a browser would: <c>/console/signin/corp</c>, the
/// provider's development login and consent forms, back to <c>/console/callback</c>, which sets the session cookie.
/// The returned client carries that cookie (and nothing else) to the front.
/// </summary>
internal static partial class ConsoleOidcSignIn
{
    public sealed class Session(HttpClient client, HttpClientHandler handler, HttpStatusCode finalStatus, string finalPage) : IDisposable
    {
        public HttpClient Client { get; } = client;
        public HttpStatusCode FinalStatus { get; } = finalStatus;
        public string FinalPage { get; } = finalPage;
        public CookieContainer Cookies => handler.CookieContainer;

        public void Dispose()
        {
            Client.Dispose();
            handler.Dispose();
        }
    }

    public static async Task<Session> SignInAsync(FrontHost front, string login, string issuer = "corp")
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true };
        var browser = new HttpClient(handler) { BaseAddress = front.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
        var response = await browser.GetAsync($"console/signin/{issuer}");
        for (var step = 0; step < 10; step++)
        {
            var page = await response.Content.ReadAsStringAsync();
            var at = response.RequestMessage!.RequestUri!;
            if (at.Port == front.BaseAddress.Port)
            {
                // Back at the front: the console (signed in) or its refusal page.
                var status = response.StatusCode;
                response.Dispose();
                return new Session(browser, handler, status, page);
            }
            var form = Form().Match(page);
            if (!form.Success)
            {
                throw new InvalidOperationException($"No form on {at} at step {step} ({response.StatusCode}):\n{page}");
            }
            var fields = new Dictionary<string, string>();
            foreach (Match input in Input().Matches(form.Groups["body"].Value))
            {
                if (Attribute(input.Value, "name") is { } name)
                {
                    fields[name] = Attribute(input.Value, "value") ?? "";
                }
            }
            if (fields.ContainsKey("login"))
            {
                fields["login"] = login;
                fields["password"] = "any";
            }
            var action = new Uri(at, WebUtility.HtmlDecode(form.Groups["action"].Value));
            response.Dispose();
            response = await browser.PostAsync(action, new FormUrlEncodedContent(fields));
        }
        throw new InvalidOperationException("The console sign-in did not come back to the front.");
    }

    private static string? Attribute(string tag, string name)
    {
        var match = Regex.Match(tag, $"\\s{name}=\"(?<v>[^\"]*)\"");
        return match.Success ? WebUtility.HtmlDecode(match.Groups["v"].Value) : null;
    }

    [GeneratedRegex("<form[^>]*action=\"(?<action>[^\"]*)\"[^>]*>(?<body>.*?)</form>", RegexOptions.Singleline)]
    private static partial Regex Form();

    [GeneratedRegex("<input[^>]*>", RegexOptions.Singleline)]
    private static partial Regex Input();
}
