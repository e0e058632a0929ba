using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeAI.Messaging;

/// <summary>
/// The CA and client certificate of a TLS connection, loaded once from PEM files, and the broker certificate
/// check. Failures fail closed and leave a message naming the file and the reason in <see cref="LastFailure"/>.
/// </summary>
internal sealed class TlsMaterial : IDisposable
{
    private readonly string? _caFile;

    private TlsMaterial(string host, string? caFile, X509Certificate2Collection? caCertificates, X509Certificate2? clientCertificate)
    {
        Host = host;
        _caFile = caFile;
        CaCertificates = caCertificates;
        ClientCertificate = clientCertificate;
    }

    public string Host { get; }

    public X509Certificate2Collection? CaCertificates { get; }

    public X509Certificate2? ClientCertificate { get; }

    /// <summary>Why the last broker certificate was refused; <see langword="null"/> when it was accepted.</summary>
    public string? LastFailure { get; private set; }

    /// <exception cref="ArgumentException">A PEM file cannot be read; the message names the setting.</exception>
    public static TlsMaterial Load(MqttPublisherOptions options)
    {
        X509Certificate2Collection? ca = null;
        X509Certificate2? client = null;
        try
        {
            if (options.CaFile is not null)
            {
                ca = [];
                try
                {
                    ca.ImportFromPemFile(options.CaFile);
                }
                catch (CryptographicException ex)
                {
                    throw new ArgumentException($"{nameof(MqttPublisherOptions)}.{nameof(MqttPublisherOptions.CaFile)} '{options.CaFile}' is not a PEM certificate file: {ex.Message}", nameof(MqttPublisherOptions.CaFile), ex);
                }

                if (ca.Count == 0)
                {
                    throw new ArgumentException($"{nameof(MqttPublisherOptions)}.{nameof(MqttPublisherOptions.CaFile)} '{options.CaFile}' holds no PEM certificate.", nameof(MqttPublisherOptions.CaFile));
                }
            }

            if (options.ClientCertificateFile is not null && options.ClientKeyFile is not null)
            {
                try
                {
                    using var pem = X509Certificate2.CreateFromPemFile(options.ClientCertificateFile, options.ClientKeyFile);

                    // A PEM-loaded key is ephemeral; a PKCS#12 round trip gives SslStream a key it can use on every platform.
                    client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
                }
                catch (Exception ex) when (ex is CryptographicException or ArgumentException)
                {
                    throw new ArgumentException(
                        $"{nameof(MqttPublisherOptions)}.{nameof(MqttPublisherOptions.ClientCertificateFile)} '{options.ClientCertificateFile}' and {nameof(MqttPublisherOptions.ClientKeyFile)} '{options.ClientKeyFile}' are not a matching PEM certificate and unencrypted private key: {ex.Message}",
                        nameof(MqttPublisherOptions.ClientCertificateFile),
                        ex);
                }
            }

            return new TlsMaterial(options.Host, options.CaFile, ca, client);
        }
        catch
        {
            DisposeAll(ca);
            client?.Dispose();
            throw;
        }
    }

    /// <summary>The broker certificate check: host name, then the chain up to the configured CA (or the system store).</summary>
    public bool ValidateServerCertificate(X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        LastFailure = Check(certificate, presentedChain, errors);
        return LastFailure is null;
    }

    public void ClearFailure() => LastFailure = null;

    public void Dispose()
    {
        DisposeAll(CaCertificates);
        ClientCertificate?.Dispose();
    }

    private string? Check(X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return $"TLS: the broker at '{Host}' sent no certificate.";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"TLS: the broker certificate '{certificate.Subject}' does not name host '{Host}' (check {nameof(MqttPublisherOptions.Host)} against the certificate's subject alternative names).";
        }

        if (CaCertificates is null)
        {
            return errors == SslPolicyErrors.None
                ? null
                : $"TLS: the broker certificate '{certificate.Subject}' is not trusted by the system store ({errors}); set {nameof(MqttPublisherOptions.CaFile)} to the broker's CA.";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(CaCertificates);

        // Devices are often offline from any CRL/OCSP endpoint; revocation is handled by rotating the CA.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (chain.Build(leaf))
        {
            return null;
        }

        var statuses = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        return $"TLS: the broker certificate '{leaf.Subject}' (issuer '{leaf.Issuer}') is not signed by the CA in {nameof(MqttPublisherOptions.CaFile)} '{_caFile}' ({statuses}).";
    }

    private static void DisposeAll(X509Certificate2Collection? collection)
    {
        if (collection is null)
        {
            return;
        }

        foreach (var certificate in collection)
        {
            certificate.Dispose();
        }
    }
}
