using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static OrleansWeCom.Tests.TenantApi.DirectoryTestHost;

namespace OrleansWeCom.Tests.TenantApi;

/// <summary>Files both ways: an upload reaches the host when sent, a received file downloads with the tenant's key only.</summary>
[Collection(EmulatorHostCollection.Name)]
public sealed class FileTransferTests(SharedDirectoryHost shared)
{
    [Fact]
    public async Task An_uploaded_image_sent_through_us_reaches_the_host_and_stays_the_tenants()
    {
        var host = shared.Host;
        var (t1, t2) = shared.Tenants();
        var mine = await host.TenantAsync(t1);
        var other = await host.TenantAsync(t2);
        var (hostname, wx) = await host.LoginAsync(mine);
        var directoriesBefore = System.IO.Directory.Exists(host.FilesDirectory) ? System.IO.Directory.GetDirectories(host.FilesDirectory) : [];
        var customer = (await DataAsync(await CallAsync(mine, "GET", "/contact/external/list", new { wxId = wx }))).EnumerateArray().First().GetProperty("user_id").GetString()!;
        var image = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7)).ToArray();

        var path = (await DataAsync(await mine.PostAsync("/gnapi/open/file/upload", Form(image, "photo.png")))).GetString()!;
        Assert.StartsWith("/gnapi/open/file/", path);
        Assert.Equal(image, await mine.GetByteArrayAsync(path));
        using (var theirs = await other.GetAsync(path)) Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        using (var send = await other.PostAsJsonAsync("/gnapi/open/msg/image", new { wxId = wx, conversationId = $"S:{wx}_{customer}", fileUrl = path }))
            Assert.Equal(HttpStatusCode.NotFound, send.StatusCode);

        var conversation = string.CompareOrdinal(wx, customer) < 0 ? $"S:{wx}_{customer}" : $"S:{customer}_{wx}";
        var msgId = (await DataAsync(await mine.PostAsJsonAsync("/gnapi/open/msg/image", new { wxId = wx, conversationId = conversation, fileUrl = path })))
            .GetProperty("msgId").GetString()!;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        JsonElement sent;
        while (true)
        {
            var log = JsonDocument.Parse(await host.Emulator.GetStringAsync($"/emulator/containers/{hostname}/sent")).RootElement;
            var images = log.EnumerateArray().Where(e => e.GetProperty("type").GetString() == "image").ToList();
            if (images.Count > 0)
            {
                sent = images.Single();
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the host never received send {msgId}");
            await Task.Delay(100);
        }

        var hostPath = sent.GetProperty("content").GetString()!;
        Assert.StartsWith("/gnapi/files/", hostPath);
        Assert.Equal(image, await host.Emulator.GetByteArrayAsync(hostPath));

        // Naming the account hands the file to its host at once and answers the host's path, as the seed does.
        var direct = (await DataAsync(await mine.PostAsync($"/gnapi/open/file/upload?wxId={wx}", Form(image, "direct.png")))).GetString()!;
        Assert.StartsWith("/gnapi/files/", direct);
        Assert.Equal(image, await host.Emulator.GetByteArrayAsync(direct));
        using (var theirs = await other.PostAsync($"/gnapi/open/file/upload?wxId={wx}", Form(image, "direct.png")))
            Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        // The tenant's files, both uploads, sit in one directory of its own.
        Assert.Single(System.IO.Directory.GetDirectories(host.FilesDirectory).Except(directoriesBefore));
    }

    [Fact]
    public async Task A_received_image_downloads_with_the_tenants_key_and_not_with_another()
    {
        // The shared host's download limit (300,000 bytes) lies between the image and the video.
        var host = shared.Host;
        var (t1, t2) = shared.Tenants();
        var mine = await host.TenantAsync(t1);
        var other = await host.TenantAsync(t2);
        var (hostname, wx) = await host.LoginAsync(mine);
        var (_, otherWx) = await host.LoginAsync(other);
        var image = Enumerable.Range(0, 150_000).Select(i => (byte)(i * 13)).ToArray();
        var filePath = (await DataAsync(await host.Emulator.PostAsync("/gnapi/open/file/upload", Form(image, "inbound.jpg")))).GetString()!;
        var large = JsonDocument.Parse(await (await host.Emulator.PostAsJsonAsync("/emulator/files", new { name = "large.mp4", size = 400_000 })).Content.ReadAsStringAsync())
            .RootElement.GetProperty("path").GetString()!;

        foreach (var (type, path) in new[] { ("image_msg", filePath), ("video_msg", large) })
            using (var inbound = await host.Emulator.PostAsJsonAsync($"/emulator/containers/{hostname}/inbound", new { type, filePath = path }))
                Assert.True(inbound.IsSuccessStatusCode, await inbound.Content.ReadAsStringAsync());

        var url = $"/gnapi/open/file/media?wxId={wx}&path={Uri.EscapeDataString(filePath)}";
        var deadline = DateTime.UtcNow.AddSeconds(15);
        HttpResponseMessage response;
        while ((response = await mine.GetAsync(url)).StatusCode == HttpStatusCode.NotFound)
        {
            Assert.True(DateTime.UtcNow < deadline, "the received image never became downloadable");
            response.Dispose();
            await Task.Delay(100);
        }

        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(image, await response.Content.ReadAsByteArrayAsync());
        }

        using (var theirs = await other.GetAsync(url)) Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        using (var viaTheirAccount = await other.GetAsync($"/gnapi/open/file/media?wxId={otherWx}&path={Uri.EscapeDataString(filePath)}"))
            Assert.Equal(HttpStatusCode.NotFound, viaTheirAccount.StatusCode);
        using (var never = await mine.GetAsync($"/gnapi/open/file/media?wxId={wx}&path={Uri.EscapeDataString("/gnapi/files/Cache/other.jpg")}"))
            Assert.Equal(HttpStatusCode.NotFound, never.StatusCode);

        // Past the stated limit: 413 in the envelope, nothing streamed.
        deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            using var tooLarge = await mine.GetAsync($"/gnapi/open/file/media?wxId={wx}&path={Uri.EscapeDataString(large)}");
            if (tooLarge.StatusCode != HttpStatusCode.NotFound)
            {
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
                Assert.Equal(ErrorCodes.PayloadTooLarge, JsonDocument.Parse(await tooLarge.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetInt32());
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the received video never became known");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Uploads_past_the_size_limit_answer_413_and_a_form_without_a_file_400()
    {
        await using var host = await DirectoryTestHost.StartAsync(new Dictionary<string, string?> { ["Files:MaxUploadBytes"] = "100000" });
        var mine = await host.TenantAsync("t1");
        using (var large = await mine.PostAsync("/gnapi/open/file/upload", Form(new byte[100_001], "big.bin")))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
            Assert.Equal(ErrorCodes.PayloadTooLarge, JsonDocument.Parse(await large.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetInt32());
        }

        using (var empty = await mine.PostAsync("/gnapi/open/file/upload", new MultipartFormDataContent { { new StringContent("x"), "note" } }))
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        using (var json = await mine.PostAsJsonAsync("/gnapi/open/file/upload", new { file = "x" }))
            Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Equal(new byte[100_000], await mine.GetByteArrayAsync((await DataAsync(await mine.PostAsync("/gnapi/open/file/upload", Form(new byte[100_000], "fits.bin")))).GetString()));
    }

    private static MultipartFormDataContent Form(byte[] content, string name)
    {
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { file, "file", name } };
    }
}
