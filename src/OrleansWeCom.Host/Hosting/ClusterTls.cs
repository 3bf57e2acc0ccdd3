using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace OrleansWeCom.Host.Hosting;

/// <summary>
/// TLS between silos and for cluster clients (section <c>Orleans:Tls</c>), off unless a certificate is configured. Every
/// peer, silo or client, must present a certificate issued by the cluster's own CA: a pod that can reach the silo and
/// gateway ports but holds no such certificate cannot join or call a grain.
/// </summary>
public sealed class ClusterTlsOptions
{
    /// <summary>PEM certificate of this silo (a Kubernetes TLS secret's <c>tls.crt</c>).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key of the certificate (<c>tls.key</c>).</summary>
    public string? KeyFile { get; set; }

    /// <summary>PEM certificate(s) of the CA that issues every silo's and client's certificate (<c>ca.crt</c>).</summary>
    public string? CaFile { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificateFile);
}

public static class ClusterTls
{
    public static ISiloBuilder UseWeComTls(this ISiloBuilder silo, IConfiguration config)
    {
        var options = config.GetSection("Orleans:Tls").Get<ClusterTlsOptions>() ?? new ClusterTlsOptions();
        if (!options.Enabled) return silo;
        if (string.IsNullOrWhiteSpace(options.KeyFile) || string.IsNullOrWhiteSpace(options.CaFile))
            throw new InvalidOperationException("Orleans:Tls needs KeyFile and CaFile beside CertificateFile.");

        var certificate = Load(options.CertificateFile!, options.KeyFile!);
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(options.CaFile!);
        if (authorities.Count == 0) throw new InvalidOperationException($"Orleans:Tls:CaFile '{options.CaFile}' holds no certificate.");

        return silo.UseTls(certificate, tls =>
        {
            tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.RemoteCertificateValidation = (remote, _, _) => IssuedBy(remote, authorities);
        });
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of <paramref name="authorities"/> (names are not checked: peers dial IPs).</summary>
    public static bool IssuedBy(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static X509Certificate2 Load(string certificateFile, string keyFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        // An ephemeral PEM key cannot serve a TLS handshake on every platform: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
