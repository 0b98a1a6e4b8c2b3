// Command nonewprivs is the stand-in of kubernetes' e2e nonewprivs image
// (test/images/nonewprivs): installed setuid root, it prints the
// effective user it runs as, so no_new_privs shows as "Effective uid:
// 1000" and its absence as "Effective uid: 0". hack/critest/images.sh
// builds it.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("Effective uid: %d\n", os.Geteuid())
}
