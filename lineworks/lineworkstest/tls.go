package lineworkstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"time"
)

// WithTLS makes the fake serve https, for clients that cannot be pointed at
// plain http (several SDKs hard-code the scheme). Each server generates its
// own CA and a certificate signed by it for localhost, 127.0.0.1, ::1 and
// hosts; CACertPEM returns the CA for SSL_CERT_FILE and the like, and Client
// already trusts it. An empty host adds nothing, so that the host part of an
// address such as ":8443" can be passed as it is.
func WithTLS(hosts ...string) ServerOption {
	return func(s *Server) error {
		s.tlsOn = true
		s.tlsHosts = append(s.tlsHosts, hosts...)
		return nil
	}
}

// CACertPEM returns the PEM of the CA that signed the fake's certificate,
// or nil when the fake serves plain http.
func (s *Server) CACertPEM() []byte { return s.tlsCA }

// startTLS starts s.srv with a fresh CA and leaf certificate, and makes
// Client trust that CA (httptest would trust only the leaf).
func (s *Server) startTLS() {
	caPEM, cert, pool, err := newCertificate(s.tlsHosts, s.now())
	if err != nil {
		panic("lineworkstest: generating the TLS certificate: " + err.Error())
	}
	s.tlsCA = caPEM
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.srv.StartTLS()
	s.srv.Client().Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool}
}

// newCertificate returns a new CA (as PEM and as a pool) and a leaf
// certificate it signed for the loopback names and hosts.
func newCertificate(hosts []string, now time.Time) (caPEM []byte, leaf tls.Certificate, pool *x509.CertPool, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, leaf, nil, err
	}
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"lineworkstest"}, CommonName: "lineworkstest fake LINE WORKS CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, leaf, nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, leaf, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    ca.NotBefore,
		NotAfter:     ca.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, leaf, nil, err
	}
	pool = x509.NewCertPool()
	pool.AddCert(caCert)
	leaf = tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), leaf, pool, nil
}
