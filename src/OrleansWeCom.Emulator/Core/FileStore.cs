using System.Collections.Concurrent;
using System.Globalization;

namespace OrleansWeCom.Emulator.Core;

internal sealed record StoredFile(string PhysicalPath, long Size, string ContentType);

/// <summary>
/// Files the host keeps and serves under <c>/gnapi/files/…</c>: uploads, QR code images, and sized placeholders.
/// The size of a file referenced by <c>fileUrl</c> is known only for files kept here.
/// </summary>
internal sealed class FileStore : IDisposable
{
    public const string UrlPrefix = "/gnapi/files/";

    private readonly ConcurrentDictionary<string, StoredFile> _files = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _root;
    private readonly bool _ownsRoot;
    private readonly TimeProvider _time;

    public FileStore(string? root, TimeProvider time)
    {
        _time = time;
        _ownsRoot = string.IsNullOrWhiteSpace(root);
        _root = _ownsRoot ? Path.Combine(Path.GetTempPath(), "wecom-emulator-" + Guid.NewGuid().ToString("N")) : root!;
        Directory.CreateDirectory(_root);
    }

    public async Task<string> SaveAsync(string fileName, Stream content, CancellationToken ct)
    {
        var (url, physical) = NewLocation(fileName);
        await using (var target = File.Create(physical))
        {
            await content.CopyToAsync(target, ct);
        }

        return Register(url, physical);
    }

    public string SaveBytes(string fileName, byte[] content)
    {
        var (url, physical) = NewLocation(fileName);
        File.WriteAllBytes(physical, content);
        return Register(url, physical);
    }

    /// <summary>A file of the given size without content worth reading (sparse where the file system allows).</summary>
    public string Reserve(string fileName, long size)
    {
        var (url, physical) = NewLocation(fileName);
        using (var stream = File.Create(physical))
        {
            stream.SetLength(size);
        }

        return Register(url, physical);
    }

    public bool TryGet(string path, out StoredFile file) => _files.TryGetValue(Normalize(path), out file!);

    /// <summary>The size of a referenced file: relative <c>/gnapi/files/…</c> or an absolute URL with that path.</summary>
    public long? SizeOf(string fileUrl)
    {
        var path = fileUrl;
        if (Uri.TryCreate(fileUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            path = Uri.UnescapeDataString(uri.AbsolutePath);
        }

        return path.StartsWith(UrlPrefix, StringComparison.OrdinalIgnoreCase) && TryGet(path, out var file) ? file.Size : null;
    }

    public static bool IsLocal(string fileUrl) => fileUrl.StartsWith(UrlPrefix, StringComparison.OrdinalIgnoreCase);

    public void Dispose()
    {
        if (_ownsRoot)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by a response; the temp folder is cleaned by the OS eventually.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private (string Url, string Physical) NewLocation(string fileName)
    {
        var name = Path.GetFileName(fileName ?? "");
        foreach (var invalid in Path.GetInvalidFileNameChars())
        {
            name = name.Replace(invalid, '_');
        }

        if (name.Length == 0)
        {
            name = "file";
        }

        var date = _time.GetUtcNow().ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var folder = Guid.NewGuid().ToString("N");
        var directory = Path.Combine(_root, date, folder);
        Directory.CreateDirectory(directory);
        return ($"{UrlPrefix}{date}/{folder}/{name}", Path.Combine(directory, name));
    }

    private string Register(string url, string physical)
    {
        _files[Normalize(url)] = new StoredFile(physical, new FileInfo(physical).Length, ContentTypeOf(physical));
        return url;
    }

    private static string Normalize(string path) => Uri.UnescapeDataString(path.Split('?')[0]).TrimEnd('/');

    private static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".gif" => "image/gif",
        ".mp4" => "video/mp4",
        ".aac" => "audio/aac",
        ".txt" or ".log" => "text/plain",
        _ => "application/octet-stream",
    };
}
