package overlay

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"

	"github.com/wharf/wharf/internal/network/netns"
)

// `--opt encrypted` asks for IPsec ESP between the nodes of a network,
// which dockerd's overlay driver builds as transport-mode xfrm states
// with rfc4106(gcm(aes)) keys from swarmkit's key manager. Wharf does
// not build them yet; CheckEncryption says at create time why a network
// cannot be encrypted here, rather than making one whose traffic would
// go in the clear or not at all.

// espAlgo is the AEAD dockerd's overlay encryption uses.
const espAlgo = "rfc4106(gcm(aes))"

// ErrEncryptionUnsupported is the answer when the kernel could encrypt.
var ErrEncryptionUnsupported = errors.New("encrypted overlay networks are not supported: Wharf does not implement IPsec (ESP) between nodes yet; create the network without --opt encrypted")

// CheckEncryption probes this node's kernel for what an encrypted overlay
// network needs (xfrm with ESP and rfc4106(gcm(aes))), in a network
// namespace of its own made under dir and removed before it returns.
func CheckEncryption(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "esp-probe-")
	if err != nil {
		return err
	}
	path := f.Name()
	f.Close()
	os.Remove(path)
	if err := netns.Create(path); err != nil {
		return fmt.Errorf("probing IPsec support: %w", err)
	}
	defer netns.Delete(filepath.Clean(path))
	h, err := inNS(path)
	if err != nil {
		return fmt.Errorf("probing IPsec support: %w", err)
	}
	defer h.Close()
	st := &netlink.XfrmState{
		Src: net.IPv4(10, 255, 0, 1), Dst: net.IPv4(10, 255, 0, 2), Proto: netlink.XFRM_PROTO_ESP,
		Mode: netlink.XFRM_MODE_TRANSPORT, Spi: 0x100, Reqid: 1,
		Aead: &netlink.XfrmStateAlgo{Name: espAlgo, Key: make([]byte, 20), ICVLen: 64},
	}
	if err := h.XfrmStateAdd(st); err != nil {
		return fmt.Errorf("encrypted overlay networks need IPsec ESP with %s in the kernel (CONFIG_INET_ESP, CONFIG_CRYPTO_GCM), which this node's kernel lacks (%v); create the network without --opt encrypted", espAlgo, err)
	}
	return ErrEncryptionUnsupported
}
