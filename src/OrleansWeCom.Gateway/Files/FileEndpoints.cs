using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Files;

/// <summary>
/// Files both ways: <c>file/upload</c> (the seed's multipart form, field <c>file</c>) kept by us and handed to the
/// account's host when a send uses it (at once when the upload names <c>wxId</c>); an upload read back; and the files
/// the tenant's accounts received (a callback's <c>file_path</c>) streamed from their host.
/// </summary>
public static class FileEndpoints
{
    public static void MapFiles(this RouteGroupBuilder open)
    {
        open.MapPost("/file/upload", async (HttpContext http, UploadStore store, UploadHandOff handOff) =>
        {
            var options = store.Options;
            if (http.Request.ContentLength is { } length && length > options.MaxUploadBytes + 64 * 1024)
                throw new ApiError(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"the file exceeds {options.MaxUploadBytes} bytes");
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.MaxUploadBytes + 64 * 1024;
            var boundary = Boundary(http.Request.ContentType);
            var tenant = http.Tenant();
            string? wxIdText = http.Request.Query["wxId"];
            // An account named up front is checked before the file is read: another tenant's wxId keeps nothing.
            if (!string.IsNullOrEmpty(wxIdText)) await handOff.HostOfAsync(tenant, Require.WxId(wxIdText));
            var reader = new MultipartReader(boundary, http.Request.Body) { HeadersLengthLimit = 16 * 1024 };
            UploadInfo? saved = null;
            while (saved is null && await reader.ReadNextSectionAsync(http.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) continue;
                if (disposition.IsFileDisposition())
                {
                    var name = disposition.FileNameStar.Value ?? disposition.FileName.Value ?? "file";
                    saved = await store.SaveAsync(tenant, name, section.ContentType ?? "application/octet-stream", section.Body, http.RequestAborted);
                }
                else if (string.Equals(disposition.Name.Value, "wxId", StringComparison.OrdinalIgnoreCase))
                {
                    // At most 65 characters are read: a longer field is refused without holding it.
                    using var text = new StreamReader(section.Body);
                    var chars = new char[65];
                    var count = await text.ReadBlockAsync(chars, http.RequestAborted);
                    wxIdText = count <= 64 ? new string(chars, 0, count).Trim() : throw ApiError.BadRequest("wxId is not a valid id");
                }
            }

            if (saved is null) throw ApiError.BadRequest("the form has no 'file' part");
            if (string.IsNullOrEmpty(wxIdText)) return Envelope.Ok(UploadStore.PathOf(saved));
            // Named account: handed to its host now, the host's path answered as the seed does.
            return Envelope.Ok(await handOff.ToHostAsync(tenant, Require.WxId(wxIdText), saved, http.RequestAborted));
        });

        open.MapGet("/file/{id}/{name}", (string id, string name, HttpContext http, UploadStore store) =>
        {
            var info = store.Find(http.Tenant(), $"{UploadStore.PathPrefix}{id}/{name}") ?? throw ApiError.NotFound($"file '{id}' not found");
            return Results.Stream(store.Open(http.Tenant(), info), info.ContentType, info.Name);
        });

        open.MapGet("/file/media", async (HttpContext http, IGrainFactory grains, IContainerHostDirectory hosts, UploadStore store) =>
        {
            var wxId = Require.WxId(http.Request.Query["wxId"]);
            var path = Require.Text(http.Request.Query["path"], "path");
            if (path.Length > 1024) throw ApiError.BadRequest("path is longer than 1024 characters");
            var media = await grains.GetGrain<IAccountDirectoryGrain>(wxId.Value).FindMediaAsync(http.Tenant(), path)
                        ?? throw ApiError.NotFound($"no file '{path}' received by account {wxId}");
            var file = await hosts.DownloadFileAsync(media.HostKey, media.Path, http.RequestAborted);
            var max = store.Options.MaxDownloadBytes;
            if (file.Length > max)
            {
                await file.DisposeAsync();
                throw new ApiError(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"the file has {file.Length} bytes; files above {max} bytes are not passed through");
            }

            if (file.Length is { } known) http.Response.ContentLength = known;
            return Results.Stream(new CappedStream(file.Content, max), file.ContentType, Path.GetFileName(path));
        });
    }

    private static string Boundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw ApiError.BadRequest("file/upload needs multipart/form-data with a 'file' part");
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        return string.IsNullOrWhiteSpace(boundary) || boundary.Length > 256 ? throw ApiError.BadRequest("the multipart boundary is missing or too long") : boundary;
    }
}

/// <summary>Passes a stream through and fails once more than <c>max</c> bytes came, for hosts that state no length.</summary>
internal sealed class CappedStream(Stream inner, long max) : Stream
{
    private long _read;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        _read += read;
        return _read > max ? throw new IOException($"the file exceeds {max} bytes; the download is cut") : read;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Hands an upload to the host of the account that sends it, once per host.</summary>
public sealed class UploadHandOff(UploadStore store, IGrainFactory grains, IContainerHostDirectory hosts)
{
    /// <summary>A send's <c>fileUrl</c> naming one of the tenant's uploads becomes the host's path; any other is left alone.</summary>
    public async Task<(string Url, long? Size)> ResolveAsync(TenantId tenant, WxId account, string fileUrl, CancellationToken cancellationToken)
    {
        if (!fileUrl.StartsWith(UploadStore.PathPrefix, StringComparison.OrdinalIgnoreCase)) return (fileUrl, null);
        var info = store.Find(tenant, Uri.UnescapeDataString(fileUrl)) ?? throw ApiError.NotFound($"file '{fileUrl}' not found");
        return (await ToHostAsync(tenant, account, info, cancellationToken), info.Size);
    }

    /// <summary>The host of the tenant's online account; 404 or 409 otherwise.</summary>
    public Task<string> HostOfAsync(TenantId tenant, WxId account) => grains.GetGrain<IAccountDirectoryGrain>(account.Value).GetOnlineHostAsync(tenant);

    public async Task<string> ToHostAsync(TenantId tenant, WxId account, UploadInfo info, CancellationToken cancellationToken)
    {
        var hostKey = await HostOfAsync(tenant, account);
        if (info.HostPaths.TryGetValue(hostKey, out var known)) return known;
        await using var content = store.Open(tenant, info);
        var path = await hosts.UploadAsync(hostKey, content, info.Name, info.ContentType, cancellationToken);
        await store.RememberHostPathAsync(tenant, info, hostKey, path);
        return path;
    }
}
