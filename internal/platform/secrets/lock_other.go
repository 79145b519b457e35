//go:build !unix

package secrets

// lockFile is a no-op where flock is unavailable: writers of one process are
// still serialised by the Keyring's mutex and the file is still replaced
// atomically, but two processes rotating at the same instant may lose one
// rotation. SkyFly's supported platforms (Linux, macOS) take the unix path.
func lockFile(string) (unlock func(), err error) { return func() {}, nil }
