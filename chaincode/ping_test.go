package chaincode_test

import (
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

func TestPingSucceedsForAnyIdentityAndTouchesNothing(t *testing.T) {
	e := newEnv(t)
	before := e.l.snapshot()
	resp, stub := e.l.invoke(e.cc, e.ids["Carrier/user1"], "Ping")
	if resp.Status != shim.OK {
		t.Fatalf("Ping: status %d, message %q", resp.Status, resp.Message)
	}
	if len(resp.Payload) != 0 {
		t.Errorf("Ping returned %q, want an empty payload", resp.Payload)
	}
	if len(stub.writes) != 0 || stub.event != nil {
		t.Errorf("Ping wrote %d keys and event %v, want none", len(stub.writes), stub.event)
	}
	if after := e.l.snapshot(); len(after) != len(before) {
		t.Errorf("state has %d keys after Ping, %d before", len(after), len(before))
	}
}
