package chaincode

import "github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

// Ping is a submit transaction that reads nothing, writes nothing and
// returns nothing. It exists as the exact no-op baseline for throughput
// benchmarks (the cost of endorsing, ordering, validating and committing a
// transaction, without the contract's own work) and as a liveness probe.
func (c *Contract) Ping(ctx contractapi.TransactionContextInterface) error {
	return nil
}
