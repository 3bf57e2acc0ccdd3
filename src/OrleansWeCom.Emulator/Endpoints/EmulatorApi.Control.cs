using System.Text.Json.Nodes;
using OrleansWeCom.Emulator.Api;
using OrleansWeCom.Emulator.Core;

namespace OrleansWeCom.Emulator.Endpoints;

/// <summary>The <c>/emulator</c> control API: plays the people and the outside world. Plain JSON, no envelope on success.</summary>
internal static partial class EmulatorApi
{
    private static void MapControl(RouteGroupBuilder control, EmulatorState state)
    {
        control.Api("POST", "/containers/{hostname}/scan", p => Plain(state.Scan(p.Required("hostname"), p.Bool("requireVerify") ?? false, p.String("wxId"), p.String("corpId"))));
        control.Api("GET", "/containers/{hostname}/verify-code", p => Plain(state.VerifyCode(p.Required("hostname"))));
        control.Api("POST", "/containers/{hostname}/inbound", p => Plain(state.Inbound(p.Required("hostname"), p)));
        control.Api("POST", "/containers/{hostname}/offline", p =>
        {
            state.Offline(p.Required("hostname"), (int)(p.Long("status") ?? 1));
            return Plain(new JsonObject { ["hostname"] = p.Required("hostname") });
        });
        control.Api("POST", "/containers/{hostname}/safe-validate", p => Plain(state.SafeValidate(p.Required("hostname"))));
        control.Api("GET", "/containers/{hostname}/sent", p => Plain(state.SentLog(p.Required("hostname"))));
        control.Api("GET", "/sent/totals", _ => Plain(state.SendTotals()));
        control.Api("PUT", "/callbacks", p =>
        {
            var rate = p.Double("duplicateRate") ?? 0;
            if (rate is < 0 or > 1)
            {
                throw ApiException.BadRequest("duplicateRate must be within 0..1");
            }

            try
            {
                state.Callbacks.SetTarget(p.String("url"), rate);
            }
            catch (ArgumentException ex)
            {
                throw ApiException.BadRequest(ex.Message);
            }

            return Plain(state.Callbacks.Describe());
        });
        control.Api("GET", "/callbacks", _ => Plain(state.Callbacks.Describe()));
        control.Api("PUT", "/faults", p =>
        {
            static TimeSpan? Ms(long? value) => value is { } ms ? TimeSpan.FromMilliseconds(Math.Max(0, ms)) : null;
            var status = p.Long("serverErrorStatus");
            if (status is not null and not (>= 500 and <= 599))
            {
                throw ApiException.BadRequest("serverErrorStatus must be a 5xx code");
            }

            state.Faults.Set(Ms(p.Long("serverErrorMs")), (int?)status, Ms(p.Long("timeoutMs")), Ms(p.Long("dropCallbacksMs")), Ms(p.Long("lostAnswersMs")),
                Ms(p.Long("scanOnCreateMs")));
            return Plain(state.Faults.Describe());
        });
        control.Api("GET", "/faults", _ => Plain(state.Faults.Describe()));
        control.Api("POST", "/files", p =>
        {
            var size = p.Long("size") ?? throw ApiException.BadRequest("parameter 'size' is required");
            if (size is < 0 or > 1L << 34)
            {
                throw ApiException.BadRequest("size must be within 0..16 GiB");
            }

            return Plain(new JsonObject { ["path"] = state.Files.Reserve(p.Required("name"), size), ["size"] = size });
        });
        control.Api("GET", "/world", _ => Plain(state.DescribeWorld()));
    }

    private static IResult Plain(JsonNode node) => Results.Json(node, Envelope.Json);
}
