package container

import "unsafe"

// unsafePointer views a byte of an inotify buffer as the event header
// that starts there (the kernel writes them aligned).
func unsafePointer(b *byte) unsafe.Pointer { return unsafe.Pointer(b) }
