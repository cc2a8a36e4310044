package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// files is a fake file system for the TLS paths.
func files(m map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		v, ok := m[p]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		return []byte(v), nil
	}
}

func TestLoadConfig(t *testing.T) {
	tlsFiles := files(map[string]string{"/c.pem": "CERT", "/k.pem": "KEY", "/ca.pem": "CA"})
	base := map[string]string{"CHAINCODE_ID": "aeoledger:abc", "CHAINCODE_SERVER_ADDRESS": "127.0.0.1:9999"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    config
		wantErr string
	}{
		{
			name: "id and address without TLS files serve plain gRPC",
			env:  base,
			want: config{ccid: "aeoledger:abc", address: "127.0.0.1:9999", tls: shim.TLSProperties{Disabled: true}},
		},
		{
			name: "cert and key turn TLS on",
			env:  with(map[string]string{"CHAINCODE_TLS_CERT": "/c.pem", "CHAINCODE_TLS_KEY": "/k.pem"}),
			want: config{ccid: "aeoledger:abc", address: "127.0.0.1:9999",
				tls: shim.TLSProperties{Cert: []byte("CERT"), Key: []byte("KEY")}},
		},
		{
			name: "a client CA adds client authentication",
			env:  with(map[string]string{"CHAINCODE_TLS_CERT": "/c.pem", "CHAINCODE_TLS_KEY": "/k.pem", "CHAINCODE_TLS_CLIENT_CA": "/ca.pem"}),
			want: config{ccid: "aeoledger:abc", address: "127.0.0.1:9999",
				tls: shim.TLSProperties{Cert: []byte("CERT"), Key: []byte("KEY"), ClientCACerts: []byte("CA")}},
		},
		{
			name:    "a missing package ID is refused",
			env:     map[string]string{"CHAINCODE_SERVER_ADDRESS": "127.0.0.1:9999"},
			wantErr: `field=CHAINCODE_ID value="" rule=must be the chaincode package ID (label:hash): invalid configuration`,
		},
		{
			name:    "an address without a port is refused",
			env:     with(map[string]string{"CHAINCODE_SERVER_ADDRESS": "127.0.0.1"}),
			wantErr: `field=CHAINCODE_SERVER_ADDRESS value="127.0.0.1" rule=must be host:port: invalid configuration`,
		},
		{
			name:    "an address without a host is refused",
			env:     with(map[string]string{"CHAINCODE_SERVER_ADDRESS": ":9999"}),
			wantErr: `field=CHAINCODE_SERVER_ADDRESS value=":9999" rule=must be host:port: invalid configuration`,
		},
		{
			name:    "a port out of range is refused",
			env:     with(map[string]string{"CHAINCODE_SERVER_ADDRESS": "127.0.0.1:70000"}),
			wantErr: `field=CHAINCODE_SERVER_ADDRESS value="127.0.0.1:70000" rule=port must be 1-65535: invalid configuration`,
		},
		{
			name:    "a certificate without a key is refused",
			env:     with(map[string]string{"CHAINCODE_TLS_CERT": "/c.pem"}),
			wantErr: `field=CHAINCODE_TLS_KEY value="" rule=must be set together with CHAINCODE_TLS_CERT: invalid configuration`,
		},
		{
			name:    "a key without a certificate is refused",
			env:     with(map[string]string{"CHAINCODE_TLS_KEY": "/k.pem"}),
			wantErr: `field=CHAINCODE_TLS_CERT value="" rule=must be set together with CHAINCODE_TLS_KEY: invalid configuration`,
		},
		{
			name:    "a client CA without server TLS is refused",
			env:     with(map[string]string{"CHAINCODE_TLS_CLIENT_CA": "/ca.pem"}),
			wantErr: `field=CHAINCODE_TLS_CLIENT_CA value="/ca.pem" rule=needs CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY: invalid configuration`,
		},
		{
			name:    "an unreadable certificate file is reported with its variable",
			env:     with(map[string]string{"CHAINCODE_TLS_CERT": "/missing.pem", "CHAINCODE_TLS_KEY": "/k.pem"}),
			wantErr: "reading CHAINCODE_TLS_CERT: open /missing.pem: file does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadConfig(envOf(tt.env), tlsFiles)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				if errors.Is(err, errConfig) {
					assert.Equal(t, config{}, got)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRunRefusesBadConfigurationBeforeBuildingTheContract(t *testing.T) {
	built := false
	err := run(envOf(map[string]string{}), func() (shim.Chaincode, error) {
		built = true
		return newContract()
	})
	require.ErrorIs(t, err, errConfig)
	assert.False(t, built, "the contract must not be built when the configuration is bad")
}

func TestRunReportsContractBuildFailure(t *testing.T) {
	boom := errors.New("boom")
	err := run(envOf(map[string]string{"CHAINCODE_ID": "x:1", "CHAINCODE_SERVER_ADDRESS": "127.0.0.1:1"}),
		func() (shim.Chaincode, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	assert.EqualError(t, err, "building the contract: boom")
}

// freeAddress returns a 127.0.0.1 address nothing listens on right now.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestServerSpeaksTheChaincodeProtocol plays the peer's side of the
// chaincode-as-a-service protocol against the real contract: the server
// must register under the package ID and answer a transaction.
func TestServerSpeaksTheChaincodeProtocol(t *testing.T) {
	cc, err := newContract()
	require.NoError(t, err)
	addr := freeAddress(t)
	const ccid = "aeoledger:0123456789abcdef"
	go func() {
		_ = newServer(config{ccid: ccid, address: addr, tls: shim.TLSProperties{Disabled: true}}, cc).Start()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()

	var stream grpc.BidiStreamingClient[peer.ChaincodeMessage, peer.ChaincodeMessage]
	require.Eventually(t, func() bool {
		stream, err = peer.NewChaincodeClient(conn).Connect(ctx, grpc.WaitForReady(true))
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)

	msg, err := stream.Recv()
	require.NoError(t, err)
	require.Equal(t, peer.ChaincodeMessage_REGISTER, msg.Type)
	var id peer.ChaincodeID
	require.NoError(t, proto.Unmarshal(msg.Payload, &id))
	assert.Equal(t, ccid, id.Name)

	require.NoError(t, stream.Send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTERED}))
	require.NoError(t, stream.Send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_READY}))
	input, err := proto.Marshal(&peer.ChaincodeInput{Args: [][]byte{[]byte("org.hyperledger.fabric:GetMetadata")}})
	require.NoError(t, err)
	require.NoError(t, stream.Send(&peer.ChaincodeMessage{
		Type: peer.ChaincodeMessage_TRANSACTION, Txid: "tx1", ChannelId: "aeo", Payload: input,
	}))

	reply, err := stream.Recv()
	require.NoError(t, err)
	require.Equal(t, peer.ChaincodeMessage_COMPLETED, reply.Type, "reply: %v", reply)
	assert.Equal(t, "tx1", reply.Txid)
	var resp peer.Response
	require.NoError(t, proto.Unmarshal(reply.Payload, &resp))
	require.EqualValues(t, 200, resp.Status, resp.Message)
	var meta struct {
		Contracts map[string]json.RawMessage `json:"contracts"`
	}
	require.NoError(t, json.Unmarshal(resp.Payload, &meta))
	assert.NotEmpty(t, meta.Contracts, "the served chaincode must describe its contract")
}
