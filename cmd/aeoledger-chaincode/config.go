package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// errConfig is wrapped by every configuration error.
var errConfig = errors.New("invalid configuration")

// config is the server configuration read from the environment.
type config struct {
	ccid    string
	address string
	tls     shim.TLSProperties
}

// configError names the environment variable, its value and the rule broken.
func configError(field, value, rule string) error {
	return fmt.Errorf("field=%s value=%q rule=%s: %w", field, value, rule, errConfig)
}

// loadConfig reads the CHAINCODE_* variables (see the package comment).
// readFile reads the TLS files; tests pass a fake.
func loadConfig(getenv func(string) string, readFile func(string) ([]byte, error)) (config, error) {
	cfg := config{
		ccid:    getenv("CHAINCODE_ID"),
		address: getenv("CHAINCODE_SERVER_ADDRESS"),
		tls:     shim.TLSProperties{Disabled: true},
	}
	if cfg.ccid == "" {
		return config{}, configError("CHAINCODE_ID", "", "must be the chaincode package ID (label:hash)")
	}
	host, port, err := net.SplitHostPort(cfg.address)
	if err != nil || host == "" {
		return config{}, configError("CHAINCODE_SERVER_ADDRESS", cfg.address, "must be host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return config{}, configError("CHAINCODE_SERVER_ADDRESS", cfg.address, "port must be 1-65535")
	}

	certPath, keyPath, caPath := getenv("CHAINCODE_TLS_CERT"), getenv("CHAINCODE_TLS_KEY"), getenv("CHAINCODE_TLS_CLIENT_CA")
	switch {
	case certPath == "" && keyPath == "":
		if caPath != "" {
			return config{}, configError("CHAINCODE_TLS_CLIENT_CA", caPath, "needs CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY")
		}
		return cfg, nil
	case certPath == "":
		return config{}, configError("CHAINCODE_TLS_CERT", "", "must be set together with CHAINCODE_TLS_KEY")
	case keyPath == "":
		return config{}, configError("CHAINCODE_TLS_KEY", "", "must be set together with CHAINCODE_TLS_CERT")
	}
	cfg.tls.Disabled = false
	if cfg.tls.Cert, err = readFile(certPath); err != nil {
		return config{}, fmt.Errorf("reading CHAINCODE_TLS_CERT: %w", err)
	}
	if cfg.tls.Key, err = readFile(keyPath); err != nil {
		return config{}, fmt.Errorf("reading CHAINCODE_TLS_KEY: %w", err)
	}
	if caPath != "" {
		if cfg.tls.ClientCACerts, err = readFile(caPath); err != nil {
			return config{}, fmt.Errorf("reading CHAINCODE_TLS_CLIENT_CA: %w", err)
		}
	}
	return cfg, nil
}
