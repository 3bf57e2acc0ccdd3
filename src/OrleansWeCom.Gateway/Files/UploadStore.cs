using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Files;

/// <summary>Limits of the files tenants upload and download through us (section <c>Files</c>).</summary>
public sealed class FileOptions
{
    /// <summary>Where uploads are kept, a folder per tenant; in a cluster every gateway must see the same folder.</summary>
    public string Directory { get; set; } = "./data/files";

    /// <summary>Largest upload (WeCom drops videos above 50 MB).</summary>
    public long MaxUploadBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Most files and bytes a tenant keeps; uploads past either answer 429 until older ones expire.</summary>
    public int MaxFilesPerTenant { get; set; } = 1000;

    public long MaxBytesPerTenant { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>How long an upload is kept.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest received file streamed to a tenant; larger ones answer 413.</summary>
    public long MaxDownloadBytes { get; set; } = 200L * 1024 * 1024;
}

/// <summary>What is known of an upload: its name, type, size and the path each host gave it.</summary>
public sealed record UploadInfo(string Id, string Name, string ContentType, long Size, DateTimeOffset At, Dictionary<string, string> HostPaths);

/// <summary>
/// Uploads kept on disk, a folder per tenant (named by a hash of the tenant id, so that one tenant's ids never open
/// another's files): the content streamed to a file, beside it a small JSON record.
/// </summary>
public sealed class UploadStore(IOptions<FileOptions> options, TimeProvider time)
{
    public const string PathPrefix = "/gnapi/open/file/";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly FileOptions _options = options.Value;

    public FileOptions Options => _options;

    /// <summary>Streams <paramref name="content"/> to disk within the limits: 413 past the size, 429 past the tenant's bounds.</summary>
    public async Task<UploadInfo> SaveAsync(TenantId tenant, string fileName, string contentType, Stream content, CancellationToken cancellationToken)
    {
        var folder = Folder(tenant);
        System.IO.Directory.CreateDirectory(folder);
        var kept = Sweep(folder);
        if (kept.Count >= _options.MaxFilesPerTenant)
            throw new ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.QueueFull, $"you keep {kept.Count} uploads (limit {_options.MaxFilesPerTenant}); they expire after {_options.Retention}");
        var room = _options.MaxBytesPerTenant - kept.Sum(u => u.Size);
        if (room <= 0)
            throw new ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.QueueFull, $"your uploads hold {_options.MaxBytesPerTenant} bytes (the limit); they expire after {_options.Retention}");

        var id = Guid.NewGuid().ToString("N");
        var target = Path.Combine(folder, id);
        long size = 0;
        try
        {
            await using (var file = File.Create(target))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    if (size > _options.MaxUploadBytes)
                        throw new ApiError(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"the file exceeds {_options.MaxUploadBytes} bytes");
                    if (size > room)
                        throw new ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.QueueFull, $"the file would take your uploads past {_options.MaxBytesPerTenant} bytes");
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }

            var info = new UploadInfo(id, SafeName(fileName), contentType, size, time.GetUtcNow(), []);
            await WriteInfoAsync(folder, info);
            return info;
        }
        catch
        {
            File.Delete(target);
            throw;
        }
    }

    /// <summary>The tenant's upload named by one of our paths (<c>/gnapi/open/file/{id}/{name}</c>); null when not the tenant's.</summary>
    public UploadInfo? Find(TenantId tenant, string path)
    {
        if (!path.StartsWith(PathPrefix, StringComparison.OrdinalIgnoreCase)) return null;
        var id = path[PathPrefix.Length..].Split('/')[0];
        if (id.Length != 32 || !id.All(char.IsAsciiHexDigitLower)) return null;
        var record = Path.Combine(Folder(tenant), id + ".json");
        if (!File.Exists(record)) return null;
        var info = JsonSerializer.Deserialize<UploadInfo>(File.ReadAllText(record), Json);
        return info is null || time.GetUtcNow() - info.At > _options.Retention ? null : info;
    }

    public Stream Open(TenantId tenant, UploadInfo info) => File.OpenRead(Path.Combine(Folder(tenant), info.Id));

    /// <summary>Remembers the path a host gave the upload, so that it is handed to each host once.</summary>
    public Task RememberHostPathAsync(TenantId tenant, UploadInfo info, string hostKey, string hostPath)
    {
        info.HostPaths[hostKey] = hostPath;
        return WriteInfoAsync(Folder(tenant), info);
    }

    public static string PathOf(UploadInfo info) => $"{PathPrefix}{info.Id}/{Uri.EscapeDataString(info.Name)}";

    /// <summary>Deletes the tenant's expired uploads and returns the rest.</summary>
    private List<UploadInfo> Sweep(string folder)
    {
        var kept = new List<UploadInfo>();
        foreach (var record in System.IO.Directory.EnumerateFiles(folder, "*.json"))
        {
            UploadInfo? info;
            try
            {
                info = JsonSerializer.Deserialize<UploadInfo>(File.ReadAllText(record), Json);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                continue;
            }

            if (info is not null && time.GetUtcNow() - info.At <= _options.Retention)
            {
                kept.Add(info);
                continue;
            }

            File.Delete(record);
            File.Delete(Path.ChangeExtension(record, null));
        }

        return kept;
    }

    private static async Task WriteInfoAsync(string folder, UploadInfo info)
    {
        var record = Path.Combine(folder, info.Id + ".json");
        await File.WriteAllTextAsync(record + ".tmp", JsonSerializer.Serialize(info, Json));
        File.Move(record + ".tmp", record, overwrite: true);
    }

    private string Folder(TenantId tenant) =>
        Path.Combine(Path.GetFullPath(_options.Directory), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tenant.Value)))[..32]);

    private static string SafeName(string name)
    {
        var safe = new string(Path.GetFileName(name.Replace('\\', '/')).Where(c => !char.IsControl(c) && c is not ('/' or '"')).ToArray()).Trim();
        if (safe.Length > 128) safe = safe[^128..];
        return safe.Length == 0 || safe is "." or ".." ? "file" : safe;
    }
}
