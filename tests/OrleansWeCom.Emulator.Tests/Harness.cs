using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace OrleansWeCom.Emulator.Tests;

internal sealed record Login(string Hostname, string WxId, string CorpId, string CustomerId, string Conversation);

/// <summary>An emulator on a free loopback port with a callback receiver, and helpers that speak its API.</summary>
internal sealed class Harness : IAsyncDisposable
{
    private Harness(EmulatorHost emulator, CallbackReceiver receiver, FakeTimeProvider? time)
    {
        Emulator = emulator;
        Receiver = receiver;
        Time = time;
        Http = new HttpClient { BaseAddress = emulator.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public EmulatorHost Emulator { get; }
    public CallbackReceiver Receiver { get; }
    public FakeTimeProvider? Time { get; }
    public HttpClient Http { get; }

    public static async Task<Harness> StartAsync(Action<EmulatorOptions>? configure = null, bool fakeTime = false)
    {
        var options = new EmulatorOptions();
        options.Callbacks.RetryDelay = TimeSpan.FromMilliseconds(20);
        options.Limits.AccountSendInterval = TimeSpan.Zero;
        configure?.Invoke(options);
        var receiver = await CallbackReceiver.StartAsync();
        options.Callbacks.Url ??= receiver.Url;
        var time = fakeTime ? new FakeTimeProvider(DateTimeOffset.UtcNow) : null;
        var emulator = await EmulatorHost.StartAsync(options, "http://127.0.0.1:0", time ?? TimeProvider.System);
        return new Harness(emulator, receiver, time);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body is string raw
                ? new StringContent(raw, Encoding.UTF8, "application/json")
                : JsonContent.Create(body, body.GetType());
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, json);
    }

    public async Task<JsonElement> OkAsync(HttpMethod method, string path, object? body = null)
    {
        var (status, json) = await CallAsync(method, path, body);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path} answered {(int)status}: {json}");
        return json;
    }

    public Task<JsonElement> PostAsync(string path, object? body = null) => OkAsync(HttpMethod.Post, path, body ?? new { });

    public Task<JsonElement> GetAsync(string path) => OkAsync(HttpMethod.Get, path);

    /// <summary>Creates a container and logs it in through the control API, waiting for user_login.</summary>
    public async Task<Login> LoginAsync(string userId = "apps-1", bool requireVerify = false, string? wxId = null)
    {
        var created = await PostAsync("/gnapi/open/container/create", new { userId });
        var hostname = created.GetProperty("data").GetProperty("hostname").GetString()!;
        var scan = await PostAsync($"/emulator/containers/{hostname}/scan", wxId is null ? new JsonObject { ["requireVerify"] = requireVerify } : new JsonObject { ["requireVerify"] = requireVerify, ["wxId"] = wxId });
        var account = scan.GetProperty("wxId").GetString()!;
        if (requireVerify)
        {
            var code = await GetAsync($"/emulator/containers/{hostname}/verify-code");
            var verified = await PostAsync("/gnapi/open/container/verify", new { hostname, key = code.GetProperty("key").GetString(), code = code.GetProperty("code").GetString() });
            Assert.Equal(0, verified.GetProperty("data").GetProperty("errcode").GetInt32());
        }

        await Receiver.WaitForTypeAsync("user_login", hostname);
        var contacts = await GetAsync($"/gnapi/open/contact/external/list?wxId={account}");
        var first = contacts.GetProperty("data")[0];
        return new Login(hostname, account, scan.GetProperty("corpId").GetString()!, first.GetProperty("user_id").GetString()!, first.GetProperty("conversation_id").GetString()!);
    }

    public async Task<string> SendTextAsync(Login login, string content = "你好")
    {
        var sent = await PostAsync("/gnapi/open/msg/text", new { wxId = login.WxId, conversationId = login.Conversation, content });
        return sent.GetProperty("data").GetProperty("msgId").GetString()!;
    }

    public Task<JsonElement> EchoOfAsync(string msgId) =>
        Receiver.WaitForAsync(e => e.GetProperty("sendMsgId").ValueKind == JsonValueKind.String && e.GetProperty("sendMsgId").GetString() == msgId, $"the echo of {msgId}");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Emulator.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
