// Command cosign-key reads and writes cosign's encrypted private key format with Go's own
// golang.org/x/crypto (scrypt, nacl/secretbox) and crypto/x509, the primitives cosign is built on, so
// that a test can check CIPolicE's TypeScript against an implementation that shares none of its code.
//
//	cosign-key decrypt FILE   prints the SHA-256 of the key's SubjectPublicKeyInfo DER (hex)
//	cosign-key encrypt        prints a new encrypted P-256 key (PEM), then "fingerprint <hex>"
//
// The passphrase comes from $KEY_PASSPHRASE (it may be empty).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"

	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/scrypt"
)

type scryptParams struct {
	N int `json:"N"`
	R int `json:"r"`
	P int `json:"p"`
}

type envelope struct {
	KDF struct {
		Name   string       `json:"name"`
		Params scryptParams `json:"params"`
		Salt   []byte       `json:"salt"`
	} `json:"kdf"`
	Cipher struct {
		Name  string `json:"name"`
		Nonce []byte `json:"nonce"`
	} `json:"cipher"`
	Ciphertext []byte `json:"ciphertext"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "cosign-key: "+format+"\n", args...)
	os.Exit(1)
}

func fingerprint(key *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		fail("marshal public key: %v", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func deriveKey(passphrase string, salt []byte, p scryptParams) *[32]byte {
	derived, err := scrypt.Key([]byte(passphrase), salt, p.N, p.R, p.P, 32)
	if err != nil {
		fail("scrypt: %v", err)
	}
	var key [32]byte
	copy(key[:], derived)
	return &key
}

func decrypt(path, passphrase string) {
	text, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	block, _ := pem.Decode(text)
	if block == nil {
		fail("no PEM block")
	}
	if block.Type != "ENCRYPTED SIGSTORE PRIVATE KEY" && block.Type != "ENCRYPTED COSIGN PRIVATE KEY" {
		fail("PEM type %q is not cosign's", block.Type)
	}
	var env envelope
	if err := json.Unmarshal(block.Bytes, &env); err != nil {
		fail("body: %v", err)
	}
	if env.KDF.Name != "scrypt" || env.Cipher.Name != "nacl/secretbox" {
		fail("kdf %q, cipher %q", env.KDF.Name, env.Cipher.Name)
	}
	// cosign reads only these three strengths; a key written with others would not load there
	p := env.KDF.Params
	if p.R != 8 || p.P != 1 || (p.N != 32768 && p.N != 65536 && p.N != 131072) {
		fail("unsupported scrypt parameters %+v", p)
	}
	if len(env.Cipher.Nonce) != 24 {
		fail("nonce of %d bytes", len(env.Cipher.Nonce))
	}
	var nonce [24]byte
	copy(nonce[:], env.Cipher.Nonce)
	plain, ok := secretbox.Open(nil, env.Ciphertext, &nonce, deriveKey(passphrase, env.KDF.Salt, p))
	if !ok {
		fail("decryption failed")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		fail("PKCS#8: %v", err)
	}
	key, isECDSA := parsed.(*ecdsa.PrivateKey)
	if !isECDSA || key.Curve != elliptic.P256() {
		fail("not an ECDSA P-256 key")
	}
	fmt.Println(fingerprint(key))
}

func encrypt(passphrase string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fail("generate: %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		fail("PKCS#8: %v", err)
	}
	var env envelope
	env.KDF.Name = "scrypt"
	env.KDF.Params = scryptParams{N: 65536, R: 8, P: 1}
	env.KDF.Salt = make([]byte, 32)
	env.Cipher.Name = "nacl/secretbox"
	env.Cipher.Nonce = make([]byte, 24)
	if _, err := rand.Read(env.KDF.Salt); err != nil {
		fail("random: %v", err)
	}
	if _, err := rand.Read(env.Cipher.Nonce); err != nil {
		fail("random: %v", err)
	}
	var nonce [24]byte
	copy(nonce[:], env.Cipher.Nonce)
	env.Ciphertext = secretbox.Seal(nil, der, &nonce, deriveKey(passphrase, env.KDF.Salt, env.KDF.Params))
	body, err := json.Marshal(env)
	if err != nil {
		fail("json: %v", err)
	}
	os.Stdout.Write(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: body}))
	fmt.Printf("fingerprint %s\n", fingerprint(key))
}

func main() {
	passphrase := os.Getenv("KEY_PASSPHRASE")
	switch {
	case len(os.Args) == 3 && os.Args[1] == "decrypt":
		decrypt(os.Args[2], passphrase)
	case len(os.Args) == 2 && os.Args[1] == "encrypt":
		encrypt(passphrase)
	default:
		fail("usage: cosign-key decrypt FILE | cosign-key encrypt")
	}
}
