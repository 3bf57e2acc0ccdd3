// An internal service on the cluster client: logs in N accounts through the container-host emulator, sends a campaign
// to the customers of those accounts, and prints delivery progress from the tenant's live events.
//   dotnet run --project samples/CampaignWorker -- --Accounts=5 --PerAccount=4
// against `dotnet run --project src/OrleansWeCom.Host` (embedded SQLite, emulator on 5090, demo tenant "demo").
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansWeCom;
using OrleansWeCom.Client;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddWeComClient(builder.Configuration);
using var host = builder.Build();
await host.StartAsync();

var config = builder.Configuration;
var accounts = config.GetValue("Accounts", 5);
var perAccount = config.GetValue("PerAccount", 4);
var tenant = host.Services.GetRequiredService<IWeComClient>().ForTenant(new TenantId(config["Tenant"] ?? "demo"));
var userId = config["User"] ?? "apps-1";
using var emulator = new HttpClient { BaseAddress = new Uri(config["Emulator:Url"] ?? "http://127.0.0.1:5090") };
using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(config.GetValue("TimeoutMinutes", 5)));

// Live events from the start of the tenant's log: the campaign's echoes are among them.
// An echo may come before the bulk call has answered, so every echoed msgId is kept and counted against the campaign.
var echoed = new HashSet<string>();
var campaign = new HashSet<string>();
var allDelivered = new TaskCompletionSource();
var live = Task.Run(async () =>
{
    await foreach (var e in tenant.SubscribeAsync(0, stop.Token))
    {
        lock (campaign)
        {
            if (e.Event.SendMsgId is not { } sent || !echoed.Add(sent) || !campaign.Contains(sent)) continue;
            Report();
        }
    }
}, stop.Token);

// Log in: create a container, play the phone at the emulator, wait until the account is online.
var online = new List<(HostName Host, WxId WxId)>();
for (var i = 0; i < accounts; i++)
{
    var created = await tenant.CreateContainerAsync(userId, stop.Token);
    await Until(async () => (await tenant.GetContainerAsync(created.HostName, stop.Token)).Step == LoginStep.WaitingForScan);
    using var scan = await emulator.PostAsJsonAsync($"/emulator/containers/{created.HostName}/scan", new { requireVerify = false }, stop.Token);
    var wxId = new WxId((await scan.Content.ReadFromJsonAsync<JsonElement>(stop.Token)).GetProperty("wxId").GetString()!);
    await Until(async () => (await tenant.GetContainerAsync(created.HostName, stop.Token)).Status == ContainerStatus.Online);
    online.Add((created.HostName, wxId));
    Console.WriteLine($"logged in {wxId} in {created.HostName}");
}

// The campaign: each account writes to its first customers, with keys that make a rerun send nothing twice.
var world = await emulator.GetFromJsonAsync<JsonElement>("/emulator/world", stop.Token);
var sends = new List<BulkSend>();
foreach (var (_, wxId) in online)
{
    var customers = world.GetProperty("corps").EnumerateArray().SelectMany(c => c.GetProperty("accounts").EnumerateArray())
        .First(a => a.GetProperty("wxId").GetString() == wxId.Value).GetProperty("externalContacts").EnumerateArray().Take(perAccount);
    foreach (var customer in customers)
    {
        var to = ConversationId.Single(wxId, new WxId(customer.GetString()!)).Value;
        sends.Add(BulkSend.Text(wxId, to, $"Our December offer for you, {customer}", $"december-{wxId}-{customer}"));
    }
}

var results = await tenant.SendManyAsync(sends, stop.Token);
lock (campaign)
{
    foreach (var r in results.Where(r => r.Accepted)) campaign.Add(r.MsgId!);
    Report();
}

foreach (var r in results.Where(r => !r.Accepted)) Console.WriteLine($"refused item {r.Index}: {r.Code} {r.Message}");
Console.WriteLine($"campaign: {campaign.Count} accepted of {sends.Count}");
await allDelivered.Task.WaitAsync(stop.Token);
Console.WriteLine($"campaign delivered: {campaign.Count}/{campaign.Count}");
await stop.CancelAsync();
try
{
    await live;
}
catch (OperationCanceledException)
{
}

await host.StopAsync();
return results.All(r => r.Accepted) ? 0 : 1;

// Called under the lock whenever the campaign or its echoes grow.
void Report()
{
    var delivered = campaign.Count(echoed.Contains);
    Console.WriteLine($"delivered {delivered}/{campaign.Count}");
    if (campaign.Count > 0 && delivered == campaign.Count) allDelivered.TrySetResult();
}

async Task Until(Func<Task<bool>> condition)
{
    while (!await condition()) await Task.Delay(200, stop.Token);
}
