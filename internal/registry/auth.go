package registry

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Htpasswd checks basic-auth credentials against an htpasswd file of
// bcrypt hashes (`htpasswd -B`), the only kind distribution accepts too.
type Htpasswd struct {
	users map[string][]byte // user -> bcrypt hash

	// bcrypt costs tens of milliseconds per check; remember the
	// credentials already verified (by a hash, not in clear).
	mu sync.Mutex
	ok map[[32]byte]bool
}

// LoadHtpasswd reads path: "user:$2y$..." lines; blank lines and #
// comments are skipped.
func LoadHtpasswd(path string) (*Htpasswd, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := &Htpasswd{users: map[string][]byte{}, ok: map[[32]byte]bool{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, found := strings.Cut(line, ":")
		if !found || user == "" || !strings.HasPrefix(hash, "$2") {
			return nil, fmt.Errorf("%s:%d: not a user:bcrypt-hash line", path, n)
		}
		h.users[user] = []byte(hash)
	}
	return h, sc.Err()
}

// Check reports whether user and password match an entry.
func (h *Htpasswd) Check(user, password string) bool {
	hash, found := h.users[user]
	key := sha256.Sum256([]byte(user + "\x00" + password))
	h.mu.Lock()
	cached := h.ok[key]
	h.mu.Unlock()
	if cached && found {
		return true
	}
	if !found {
		// Spend the same time as for a known user.
		bcrypt.CompareHashAndPassword([]byte("$2y$10$aaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), []byte(password))
		return false
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
		return false
	}
	h.mu.Lock()
	h.ok[key] = true
	h.mu.Unlock()
	return true
}

func (h *Htpasswd) allow(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	return h.Check(user, pass)
}
