namespace OrleansWeCom.Gateway.Http;

/// <summary>What readiness depends on; the host supplies it (silo membership, storage).</summary>
public interface IReadinessProbe
{
    Task<(bool Ready, string Detail)> CheckAsync(CancellationToken cancellationToken);
}

public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        // Liveness is local and cheap: the process answers.
        app.MapGet("/health/live", () => Envelope.Ok(new { status = "live" }));

        app.MapGet("/health/ready", async (IReadinessProbe probe, ILoggerFactory loggers, CancellationToken ct) =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            (bool ready, string detail) result;
            try
            {
                result = await probe.CheckAsync(timeout.Token);
            }
            catch (Exception e)
            {
                // The cause goes to the log: its text may name servers, databases or credentials.
                loggers.CreateLogger("OrleansWeCom.Health").LogWarning(e, "Readiness check failed");
                result = (false, timeout.IsCancellationRequested ? "the readiness check timed out" : "a dependency did not answer (see the log)");
            }

            return result.ready
                ? Envelope.Ok(new { status = "ready", detail = result.detail })
                : Envelope.Error(StatusCodes.Status503ServiceUnavailable, ErrorCodes.HostUnavailable, $"not ready: {result.detail}");
        });
    }
}
