using OrleansWeCom.Emulator.Api;
using OrleansWeCom.Emulator.Core;

namespace OrleansWeCom.Emulator.Endpoints;

/// <summary>Wires the pipeline: errors as the seed's envelope (never a 500), faults, the apikey, then the API groups.</summary>
internal static partial class EmulatorApi
{
    public static void Map(WebApplication app, EmulatorState state, ILogger logger)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (ApiException ex)
            {
                await WriteErrorAsync(context, ex.Status, ex.Message);
            }
            catch (BadHttpRequestException ex)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, ex.Message);
            }
            catch (InvalidDataException ex)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, ex.Message);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                // A defect of the emulator, reported as a refused request: the contract promises no 500s.
                LogUnexpected(logger, ex, context.Request.Path);
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "request failed: " + ex.Message);
            }
        });

        app.UseWhen(c => c.Request.Path.StartsWithSegments("/gnapi/open"), open => open.Use(async (context, next) =>
        {
            if (state.Faults.ServerErrors(out var status))
            {
                await WriteErrorAsync(context, status, "injected fault: server error");
                return;
            }

            if (state.Faults.Timeouts)
            {
                // Hold the request until the client gives up or the fault ends.
                while (state.Faults.Timeouts && !context.RequestAborted.IsCancellationRequested)
                {
                    await Task.Delay(50, context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                if (!context.RequestAborted.IsCancellationRequested)
                {
                    await WriteErrorAsync(context, StatusCodes.Status504GatewayTimeout, "injected fault: timeout");
                }

                return;
            }

            var key = state.Options.ApiKey;
            if (!string.IsNullOrEmpty(key) && context.Request.Headers["apikey"].ToString() != key)
            {
                await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "missing or wrong apikey header");
                return;
            }

            if (state.Faults.LostAnswers)
            {
                // Carried out, but the answer is held back: the client cannot tell whether its request took effect.
                var body = context.Response.Body;
                await using var held = new MemoryStream();
                context.Response.Body = held;
                try
                {
                    await next(context);
                }
                finally
                {
                    context.Response.Body = body;
                }

                while (state.Faults.LostAnswers && !context.RequestAborted.IsCancellationRequested)
                {
                    await Task.Delay(50, context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                if (!context.RequestAborted.IsCancellationRequested)
                {
                    held.Position = 0;
                    await held.CopyToAsync(body, context.RequestAborted);
                }

                return;
            }

            await next(context);
        }));

        var open = app.MapGroup("/gnapi/open");
        MapContainers(open, state);
        MapMessages(open, state);
        MapContacts(open, state);
        MapGroups(open, state);
        MapLabels(open, state);
        MapIds(open, state);
        MapOther(open, state);
        MapFiles(app, open, state);
        MapControl(app.MapGroup("/emulator"), state);
        app.MapFallback((Func<HttpContext, IResult>)(context => Envelope.Error(StatusCodes.Status404NotFound, $"no endpoint {context.Request.Method} {context.Request.Path}")));
    }

    /// <summary>Maps a host API endpoint whose handler reads its parameters case-insensitively from body and query.</summary>
    private static void Api(this IEndpointRouteBuilder group, string method, string pattern, Func<ApiParams, IResult> handler) =>
        group.MapMethods(pattern, [method], (Func<HttpContext, Task<IResult>>)(async context => handler(await ApiParams.ReadAsync(context.Request))));

    private static void Api(this IEndpointRouteBuilder group, string method, string pattern, Func<ApiParams, Task<IResult>> handler) =>
        group.MapMethods(pattern, [method], (Func<HttpContext, Task<IResult>>)(async context => await handler(await ApiParams.ReadAsync(context.Request))));

    private static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Clear();
        await Envelope.Error(status, message).ExecuteAsync(context);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure on {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, PathString path);
}
