using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansWeCom.Host.Hosting;
using OrleansWeCom.Testing;

namespace OrleansWeCom.Tests.Host;

/// <summary>The cluster's hosting switches: Kubernetes hosting, TLS between silos and clients, the storage pool's size.</summary>
public class ClusterHostingTests
{
    private static WebApplicationBuilder Builder(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(TestSettings.For(Path.Combine(Path.GetTempPath(), $"wecom-{Guid.NewGuid():N}.db"), "hosting"));
        foreach (var (key, value) in settings) builder.Configuration[key] = value;
        return builder;
    }

    private static bool HasKubernetesAgent(IServiceCollection services) =>
        services.Any(d => d.ImplementationType?.Name == "KubernetesClusterAgent");

    [Fact]
    public void Kubernetes_hosting_is_used_only_when_configured()
    {
        var on = Builder(("Orleans:KubernetesHosting", "true"));
        on.AddWeComSilo();
        Assert.True(HasKubernetesAgent(on.Services));

        var off = Builder();
        off.AddWeComSilo();
        Assert.False(HasKubernetesAgent(off.Services));
    }

    [Fact]
    public void A_peer_certificate_is_accepted_only_from_the_clusters_own_authority()
    {
        using var authority = Authority("CN=wecom-cluster-ca");
        using var stranger = Authority("CN=someone-else");
        using var silo = Leaf(authority, "CN=silo-1");
        using var intruder = Leaf(stranger, "CN=silo-1");
        var trusted = new X509Certificate2Collection { authority };

        Assert.True(ClusterTls.IssuedBy(silo, trusted));
        Assert.False(ClusterTls.IssuedBy(intruder, trusted));
        Assert.False(ClusterTls.IssuedBy(stranger, trusted));
    }

    [Fact]
    public void Tls_without_its_key_and_authority_is_refused_at_start()
    {
        var dir = Directory.CreateTempSubdirectory("wecom-tls-");
        try
        {
            using var authority = Authority("CN=wecom-cluster-ca");
            using var silo = Leaf(authority, "CN=silo-1");
            var certFile = Path.Combine(dir.FullName, "tls.crt");
            File.WriteAllText(certFile, silo.ExportCertificatePem());
            var builder = Builder(("Orleans:Tls:CertificateFile", certFile));
            Assert.Contains("KeyFile and CaFile", Assert.Throws<InvalidOperationException>(() => builder.AddWeComSilo()).Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Tls_with_pem_files_loads_the_key_for_handshakes()
    {
        var dir = Directory.CreateTempSubdirectory("wecom-tls-");
        try
        {
            using var authority = Authority("CN=wecom-cluster-ca");
            using var silo = Leaf(authority, "CN=silo-1");
            File.WriteAllText(Path.Combine(dir.FullName, "tls.crt"), silo.ExportCertificatePem());
            File.WriteAllText(Path.Combine(dir.FullName, "tls.key"), silo.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(Path.Combine(dir.FullName, "ca.crt"), authority.ExportCertificatePem());
            var builder = Builder(
                ("Orleans:Tls:CertificateFile", Path.Combine(dir.FullName, "tls.crt")),
                ("Orleans:Tls:KeyFile", Path.Combine(dir.FullName, "tls.key")),
                ("Orleans:Tls:CaFile", Path.Combine(dir.FullName, "ca.crt")));
            // UseTls refuses a certificate without its private key, so getting here means the PEM pair loaded.
            builder.AddWeComSilo();
            Assert.Contains(builder.Services, d => d.ServiceType == typeof(IConfigureOptions<Orleans.Configuration.SiloConnectionOptions>));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_pool_size_replaces_the_connection_strings_own()
    {
        var options = new StorageOptions
        {
            Provider = StorageProvider.PostgreSql,
            ConnectionString = "Host=db;Database=wecom;Username=wecom;Maximum Pool Size=100",
            MaxPoolSize = 12,
        };
        Assert.Contains("Maximum Pool Size=12", StorageConnection.ConnectionString(options));
        options.MaxPoolSize = null;
        Assert.Contains("Maximum Pool Size=100", StorageConnection.ConnectionString(options));
    }

    private static X509Certificate2 Authority(string name)
    {
        var request = new CertificateRequest(name, RSA.Create(2048), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static X509Certificate2 Leaf(X509Certificate2 authority, string name)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMonths(6), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }
}
