using Gateway.Front.Errors;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Console;

/// <summary>
/// Serves the web console (static HTML, CSS and small ES modules embedded in this assembly, under
/// <c>Console/wwwroot</c>) at <c>/console</c>. The pages call the admin API (<c>/admin</c>) with the admin token or the
/// session cookie of the OIDC sign-in (<see cref="ConsoleSignIn"/>); apart from that sign-in nothing here reads or changes data. Embedded, not copied to the output folder, so a
/// published front or image carries the console with no extra files to mount.
/// </summary>
public static class ConsoleEndpoints
{
    public const string Path = "/console";

    /// <summary>Where the files are embedded: the project's root namespace plus the folder (see Gateway.Front.csproj).</summary>
    public const string ResourceNamespace = "Gateway.Front.Console.wwwroot";

    public static IApplicationBuilder MapConsole(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.Enabled)
        {
            return app;
        }
        var files = new EmbeddedFileProvider(typeof(ConsoleEndpoints).Assembly, ResourceNamespace);
        return app.Map(Path, console =>
        {
            console.Use((context, next) =>
            {
                ConsoleSecurityHeaders.Apply(context.Response);
                // The gateway's catch-all endpoints may have matched a console path; under /console the files answer.
                context.SetEndpoint(null);
                return next(context);
            });
            // The OIDC sign-in (ConsoleSignIn); each answers its own method only.
            console.Map("/auth", b => b.Run(context => OnlyGet(context, ConsoleSignIn.MethodsAsync)));
            console.Map("/signin", b => b.Run(context => OnlyGet(context, c => ConsoleSignIn.GuardedAsync(c, ConsoleSignIn.StartAsync))));
            console.Map("/callback", b => b.Run(context => OnlyGet(context, c => ConsoleSignIn.GuardedAsync(c, ConsoleSignIn.CallbackAsync))));
            console.Map("/signout", b => b.Run(ConsoleSignIn.SignOutAsync));
            // "/console" and "/console/" serve index.html (the former by a redirect, so relative URLs resolve).
            console.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            console.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                ContentTypeProvider = new FileExtensionContentTypeProvider(),
                ServeUnknownFileTypes = false,
            });
            console.Run(context => GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, AnthropicErrorTypes.NotFound,
                "No such console file."));
        });
    }

    private static Task OnlyGet(HttpContext context, RequestDelegate handler)
    {
        if (HttpMethods.IsGet(context.Request.Method))
        {
            return handler(context);
        }
        context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        return Task.CompletedTask;
    }
}
