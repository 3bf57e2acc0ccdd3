using OrleansWeCom.Emulator.Api;
using OrleansWeCom.Emulator.Core;

namespace OrleansWeCom.Emulator.Endpoints;

internal static partial class EmulatorApi
{
    private static void MapContainers(RouteGroupBuilder open, EmulatorState state)
    {
        open.Api("POST", "/container/create", async p =>
        {
            var scanned = state.Faults.ScanOnCreate;
            var created = state.Create(p.Required("userId"));
            // Under the scan-on-create fault the answer waits until the callbacks are delivered and a little more, so that
            // the receiver has them before it learns the container exists.
            if (scanned)
            {
                await state.Callbacks.DeliveredAsync(TimeSpan.FromSeconds(5));
                await Task.Delay(300);
            }

            return Envelope.Ok(created);
        });
        open.Api("POST", "/container/verify", p => Results.Json(
            new System.Text.Json.Nodes.JsonObject { ["data"] = state.Verify(p.Required("hostname"), p.Required("key"), p.Required("code")), ["code"] = 0 },
            Envelope.Json));
        open.Api("POST", "/container/stop", p => Done(() => state.Stop(p.RequiredList("hostname"))));
        open.Api("POST", "/container/start", p => Done(() => state.Start(p.RequiredList("hostname"))));
        open.Api("POST", "/container/remove", p => Done(() => state.Remove(p.RequiredList("hostname"))));
        open.Api("POST", "/container/restart", p => Done(() => state.Restart(p.RequiredList("hostname"))));
        open.Api("GET", "/container/memory", _ => Envelope.Ok(state.Memory()));
        open.Api("GET", "/inner/user/wx/list", p => Envelope.Ok(state.WxList(p.String("userId"), p.Bool("IsOnline") ?? true, p.List("HostName"))));
        open.Api("GET", "/inner/user/list", _ => Envelope.Ok(state.HostUsers()));
    }

    private static IResult Done(Action action)
    {
        action();
        return Envelope.Ok();
    }
}
