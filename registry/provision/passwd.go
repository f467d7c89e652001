package provision

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Mosquitto 2.0's password file hash, as mosquitto_passwd writes it:
// user:$7$<iterations>$<base64 salt>$<base64 hash>, PBKDF2-HMAC-SHA512,
// standard base64 with padding. Mosquitto reads the iteration count from
// the line, so any count verifies; 101 is what mosquitto_passwd uses.
const (
	hashIterations = 101
	saltBytes      = 12
	hashBytes      = 64
	// passwordBytes of randomness give 24 URL-safe base64 characters.
	passwordBytes = 18
)

// newPassword returns 24 URL-safe characters from crypto/rand.
func newPassword() (string, error) {
	b := make([]byte, passwordBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashPassword returns the password file field for password,
// "$7$101$<salt>$<hash>", with a fresh random salt.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("generate salt: %w", err)
	}
	return hashWithSalt(password, salt, hashIterations)
}

func hashWithSalt(password string, salt []byte, iterations int) (string, error) {
	key, err := pbkdf2.Key(sha512.New, password, salt, iterations, hashBytes)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return "$7$" + strconv.Itoa(iterations) + "$" + base64.StdEncoding.EncodeToString(salt) + "$" + base64.StdEncoding.EncodeToString(key), nil
}

// VerifyPassword reports whether hash, a "$7$…" field of a Mosquitto 2.0
// password file, is that of password. It returns an error for a field it
// cannot parse.
func VerifyPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 5 || parts[0] != "" || parts[1] != "7" {
		return false, fmt.Errorf("password hash: want $7$<iterations>$<salt>$<hash>")
	}
	iterations, err := strconv.Atoi(parts[2])
	if err != nil || iterations < 1 || iterations > 1_000_000 {
		return false, fmt.Errorf("password hash: iterations %q", parts[2])
	}
	salt, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil || len(salt) == 0 {
		return false, fmt.Errorf("password hash: salt is not base64")
	}
	want, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("password hash: hash is not base64")
	}
	got, err := pbkdf2.Key(sha512.New, password, salt, iterations, len(want))
	if err != nil {
		return false, fmt.Errorf("hash password: %w", err)
	}
	return hmac.Equal(got, want), nil
}
