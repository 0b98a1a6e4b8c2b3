package container

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
)

// validName is docker's rule for container names.
var validName = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// newID returns a random 64-hex-digit container id that is not all digits
// (so a short id never parses as a number, as docker ensures).
func newID() string {
	for {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			panic(err) // crypto/rand never fails on Linux
		}
		id := hex.EncodeToString(b)
		for _, ch := range id[:12] {
			if ch > '9' {
				return id
			}
		}
	}
}

var (
	nameLeft = [...]string{"admiring", "amazing", "awesome", "blissful", "bold", "brave", "busy", "charming",
		"clever", "compassionate", "competent", "confident", "cool", "dazzling", "determined", "eager",
		"ecstatic", "elastic", "elegant", "epic", "exciting", "fervent", "festive", "focused", "friendly",
		"funny", "gallant", "gifted", "goofy", "gracious", "happy", "hopeful", "hungry", "inspiring",
		"intelligent", "jolly", "keen", "kind", "laughing", "loving", "lucid", "magical", "modest", "musing",
		"nervous", "nice", "nifty", "nostalgic", "objective", "optimistic", "peaceful", "pensive", "practical",
		"priceless", "quirky", "quizzical", "relaxed", "reverent", "romantic", "serene", "sharp", "silly",
		"sleepy", "stoic", "strange", "sweet", "tender", "thirsty", "trusting", "upbeat", "vibrant",
		"vigilant", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen"}
	nameRight = [...]string{"albattani", "allen", "archimedes", "babbage", "banach", "bardeen", "bell",
		"bhabha", "blackwell", "bohr", "booth", "borg", "bose", "brahmagupta", "brown", "cannon", "carson",
		"cerf", "chandrasekhar", "curie", "darwin", "davinci", "dijkstra", "einstein", "elion", "euclid",
		"euler", "fermat", "fermi", "feynman", "franklin", "galileo", "gauss", "goldberg", "goodall",
		"hamilton", "hawking", "heisenberg", "hertz", "hodgkin", "hopper", "hypatia", "jackson", "jennings",
		"johnson", "kalam", "keller", "kepler", "knuth", "lamarr", "lamport", "leakey", "lovelace", "mayer",
		"mccarthy", "mclean", "meitner", "mendel", "morse", "napier", "newton", "nobel", "noether", "pascal",
		"pasteur", "perlman", "pike", "poincare", "ramanujan", "ritchie", "shannon", "shockley", "sinoussi",
		"swartz", "tesla", "thompson", "torvalds", "turing", "varahamihira", "wescoff", "wiles", "wing",
		"wozniak", "wright", "yalow", "yonath"}
)

// randomName returns a docker-style "adjective_scientist" name; retry adds
// a digit, as docker's generator does.
func randomName(retry int) string {
	l, _ := rand.Int(rand.Reader, big.NewInt(int64(len(nameLeft))))
	r, _ := rand.Int(rand.Reader, big.NewInt(int64(len(nameRight))))
	name := nameLeft[l.Int64()] + "_" + nameRight[r.Int64()]
	if retry > 0 {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		name += fmt.Sprint(d.Int64())
	}
	return name
}
