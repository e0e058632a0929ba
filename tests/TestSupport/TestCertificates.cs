using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeAI.TestSupport;

/// <summary>
/// A throw-away PKI written as PEM files: a CA, a broker certificate for 127.0.0.1/localhost and a client
/// certificate signed by it, plus a second, unrelated "rogue" CA with its own client certificate.
/// ECDSA P-256 keeps generation to milliseconds.
/// </summary>
public sealed class TestCertificates
{
    public TestCertificates(string directory)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = CreateCa("CN=EdgeAI Test CA", caKey, now);
        using var rogueKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rogue = CreateCa("CN=Rogue CA", rogueKey, now);

        CaFile = Write(directory, "ca.crt", ca.ExportCertificatePem());
        RogueCaFile = Write(directory, "rogue-ca.crt", rogue.ExportCertificatePem());
        (ServerCertificateFile, ServerKeyFile) = Issue(directory, "server", "CN=127.0.0.1", ca, caKey, now, server: true);
        (WrongNameServerCertificateFile, WrongNameServerKeyFile) = Issue(directory, "wrong-name", "CN=broker.invalid", ca, caKey, now, server: true, dnsName: "broker.invalid");
        (ClientCertificateFile, ClientKeyFile) = Issue(directory, "client", "CN=edge-device-1", ca, caKey, now, server: false);
        (RogueClientCertificateFile, RogueClientKeyFile) = Issue(directory, "rogue-client", "CN=intruder", rogue, rogueKey, now, server: false);
    }

    public string CaFile { get; }

    public string ServerCertificateFile { get; }

    public string ServerKeyFile { get; }

    /// <summary>A broker certificate from the right CA that names only <c>broker.invalid</c>.</summary>
    public string WrongNameServerCertificateFile { get; }

    public string WrongNameServerKeyFile { get; }

    public string ClientCertificateFile { get; }

    public string ClientKeyFile { get; }

    public string RogueCaFile { get; }

    public string RogueClientCertificateFile { get; }

    public string RogueClientKeyFile { get; }

    /// <summary>mosquitto listener lines for TLS with this PKI.</summary>
    public string MosquittoConfig(bool requireClientCertificate, bool wrongName = false) =>
        $"""
        cafile {CaFile}
        certfile {(wrongName ? WrongNameServerCertificateFile : ServerCertificateFile)}
        keyfile {(wrongName ? WrongNameServerKeyFile : ServerKeyFile)}
        tls_version tlsv1.2
        require_certificate {(requireClientCertificate ? "true" : "false")}
        """;

    private static X509Certificate2 CreateCa(string subject, ECDsa key, DateTimeOffset now)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));
    }

    private static (string Cert, string Key) Issue(string directory, string name, string subject, X509Certificate2 ca, ECDsa caKey, DateTimeOffset now, bool server, string? dnsName = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            if (dnsName is null)
            {
                san.AddIpAddress(IPAddress.Loopback);
                san.AddDnsName("localhost");
            }
            else
            {
                san.AddDnsName(dnsName);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var signer = ECDsa.Create(caKey.ExportParameters(true));
        using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(signer), now.AddMinutes(-5), now.AddDays(1), serial);
        return (Write(directory, name + ".crt", certificate.ExportCertificatePem()), Write(directory, name + ".key", key.ExportPkcs8PrivateKeyPem()));
    }

    private static string Write(string directory, string name, string pem)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, pem);
        return path;
    }
}
