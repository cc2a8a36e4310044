package devnet

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/network/profile"
	"gopkg.in/yaml.v3"
)

// generator writes one network below root; all paths it records are
// slash-separated and relative to root.
type generator struct {
	root string
	opts Options
}

// orgCAs are an organisation's two CAs.
type orgCAs struct {
	mspID string
	ca    *authority
	tlsCA *authority
}

func (g *generator) generate() error {
	notBefore := g.opts.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	notAfter := notBefore.Add(g.opts.Validity)
	net := Network{Channel: g.opts.Channel, Chaincode: g.opts.Chaincode, Address: g.opts.Address}
	prof := &profile.Profile{
		Name:      "aeoledger-devnet",
		Channel:   g.opts.Channel,
		Chaincode: g.opts.Chaincode,
		Orgs:      map[string]profile.Org{},
	}

	all := append(append([]string{}, g.opts.Orgs...), OrdererMSPID)
	cas := map[string]*orgCAs{}
	for _, id := range all {
		c, err := g.writeOrg(id, notBefore, notAfter)
		if err != nil {
			return err
		}
		cas[id] = c
		entry := OrgMSP{MSPID: id, MSP: g.orgPath(id, "msp")}
		if id == OrdererMSPID {
			net.Orderers = append(net.Orderers, entry)
		} else {
			net.Orgs = append(net.Orgs, entry)
		}
		org := profile.Org{MSP: entry.MSP, Identities: map[string]profile.IdentityPath{}}
		for _, name := range append([]string{defaultAdminName}, g.opts.Users...) {
			role := msp.RoleClient
			if name == defaultAdminName {
				role = msp.RoleAdmin
			}
			dir := g.orgPath(id, "users", name, "msp")
			if err := g.writeIdentity(c, dir, name, role, nil); err != nil {
				return err
			}
			org.Identities[name] = profile.IdentityPath{
				Cert: path.Join(dir, "signcerts", certFileName),
				Key:  path.Join(dir, "keystore", keyFileName),
			}
		}
		prof.Orgs[id] = org
	}

	peerOrg := cas[g.opts.PeerOrg]
	peerMSP := g.orgPath(g.opts.PeerOrg, "peers", peerName, "msp")
	if err := g.writeIdentity(peerOrg, peerMSP, peerName, msp.RolePeer, nil); err != nil {
		return err
	}
	tlsDir := g.orgPath(g.opts.PeerOrg, "peers", peerName, "tls")
	if err := g.writeTLSServer(peerOrg, tlsDir); err != nil {
		return err
	}
	net.Peer = NodeID{
		MSPID:   g.opts.PeerOrg,
		MSP:     peerMSP,
		TLSCert: path.Join(tlsDir, tlsServerCertFile),
		TLSKey:  path.Join(tlsDir, tlsServerKeyFile),
		TLSCA:   path.Join(tlsDir, tlsCACertCopyFile),
	}
	ordererMSP := g.orgPath(OrdererMSPID, "orderers", ordererName, "msp")
	if err := g.writeIdentity(cas[OrdererMSPID], ordererMSP, ordererName, msp.RoleOrderer, nil); err != nil {
		return err
	}
	net.Orderer = NodeID{MSPID: OrdererMSPID, MSP: ordererMSP}

	prof.Gateway = profile.Endpoint{Address: g.opts.Address, TLSCACert: net.Peer.TLSCA, ServerName: TLSServerName}
	prof.Peers = []profile.Node{{MSPID: g.opts.PeerOrg, Endpoint: prof.Gateway, MSP: g.orgPath(g.opts.PeerOrg, "msp")}}
	prof.Orderers = []profile.Node{{MSPID: OrdererMSPID, Endpoint: prof.Gateway, MSP: g.orgPath(OrdererMSPID, "msp")}}

	raw, err := yaml.Marshal(&net)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", NodeFile, err)
	}
	if err := g.write(NodeFile, raw, publicFileMode); err != nil {
		return err
	}
	return prof.Save(filepath.Join(g.root, ProfileFile))
}

func (g *generator) orgPath(mspID string, parts ...string) string {
	return path.Join(append([]string{orgsDir, mspID}, parts...)...)
}

// writeOrg creates the org's CAs and its org-level MSP folder.
func (g *generator) writeOrg(mspID string, notBefore, notAfter time.Time) (*orgCAs, error) {
	domain := strings.ToLower(strings.TrimSuffix(mspID, "MSP")) + ".aeo.local"
	ca, err := newAuthority("ca."+domain, mspID, notBefore, notAfter)
	if err != nil {
		return nil, err
	}
	tlsCA, err := newAuthority("tlsca."+domain, mspID, notBefore, notAfter)
	if err != nil {
		return nil, err
	}
	c := &orgCAs{mspID: mspID, ca: ca, tlsCA: tlsCA}
	for _, pair := range []struct {
		dir, file string
		a         *authority
	}{{"ca", caCertFileName, ca}, {"tlsca", tlsCACertFileName, tlsCA}} {
		if err := g.write(g.orgPath(mspID, pair.dir, pair.file), certPEM(pair.a.cert), publicFileMode); err != nil {
			return nil, err
		}
		k, err := keyPEM(pair.a.key)
		if err != nil {
			return nil, err
		}
		if err := g.write(g.orgPath(mspID, pair.dir, keyFileName), k, privateFileMode); err != nil {
			return nil, err
		}
	}
	if err := g.writeMSPCommon(c, g.orgPath(mspID, "msp")); err != nil {
		return nil, err
	}
	return c, nil
}

// writeMSPCommon writes cacerts, tlscacerts and config.yaml into an MSP folder.
func (g *generator) writeMSPCommon(c *orgCAs, dir string) error {
	if err := g.write(path.Join(dir, "cacerts", caCertFileName), certPEM(c.ca.cert), publicFileMode); err != nil {
		return err
	}
	if err := g.write(path.Join(dir, "tlscacerts", tlsCACertFileName), certPEM(c.tlsCA.cert), publicFileMode); err != nil {
		return err
	}
	ou := func(name string) *msp.OUIdentifier {
		return &msp.OUIdentifier{Certificate: "cacerts/" + caCertFileName, OrganizationalUnitIdentifier: name}
	}
	cfg := msp.Config{NodeOUs: &msp.NodeOUs{
		Enable:              true,
		ClientOUIdentifier:  ou(string(msp.RoleClient)),
		PeerOUIdentifier:    ou(string(msp.RolePeer)),
		AdminOUIdentifier:   ou(string(msp.RoleAdmin)),
		OrdererOUIdentifier: ou(string(msp.RoleOrderer)),
	}}
	raw, err := yaml.Marshal(&cfg)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", configFileRelative, err)
	}
	return g.write(path.Join(dir, configFileRelative), raw, publicFileMode)
}

// writeIdentity issues a signing identity with the given role into an MSP
// folder of its own.
func (g *generator) writeIdentity(c *orgCAs, dir, name string, role msp.Role, extra map[string]string) error {
	attrs := map[string]string{
		"hf.EnrollmentID": name,
		"hf.Type":         string(role),
		"hf.Affiliation":  "",
	}
	for k, v := range g.opts.Attributes[c.mspID+"/"+name] {
		attrs[k] = v
	}
	for k, v := range extra {
		attrs[k] = v
	}
	cert, key, err := c.ca.issue(leafSpec{commonName: name, ous: []string{string(role)}, attrs: attrs})
	if err != nil {
		return err
	}
	if err := g.writeMSPCommon(c, dir); err != nil {
		return err
	}
	if err := g.write(path.Join(dir, "signcerts", certFileName), certPEM(cert), publicFileMode); err != nil {
		return err
	}
	k, err := keyPEM(key)
	if err != nil {
		return err
	}
	return g.write(path.Join(dir, "keystore", keyFileName), k, privateFileMode)
}

func (g *generator) writeTLSServer(c *orgCAs, dir string) error {
	cert, key, err := c.tlsCA.issue(leafSpec{
		commonName: peerName + "." + strings.ToLower(strings.TrimSuffix(c.mspID, "MSP")) + ".aeo.local",
		server:     true,
		hosts:      []string{TLSServerName, "127.0.0.1", "::1"},
	})
	if err != nil {
		return err
	}
	k, err := keyPEM(key)
	if err != nil {
		return err
	}
	if err := g.write(path.Join(dir, tlsServerCertFile), certPEM(cert), publicFileMode); err != nil {
		return err
	}
	if err := g.write(path.Join(dir, tlsServerKeyFile), k, privateFileMode); err != nil {
		return err
	}
	return g.write(path.Join(dir, tlsCACertCopyFile), certPEM(c.tlsCA.cert), publicFileMode)
}

func (g *generator) write(rel string, data []byte, mode os.FileMode) error {
	full := filepath.Join(g.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), directoryFileMode); err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	if err := os.WriteFile(full, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	// WriteFile honours the umask; make the mode exact.
	if err := os.Chmod(full, mode); err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	return nil
}
