package hashmix

import (
	"math/bits"
	"testing"
)

func TestMix64IsTheSplitmix64Finaliser(t *testing.T) {
	// Reference values of the splitmix64 output function.
	for in, want := range map[uint64]uint64{
		0:                  0,
		1:                  0x5692161d100b05e5,
		0x9e3779b97f4a7c15: 0xe220a8397b1dcdaf,
	} {
		if got := Mix64(in); got != want {
			t.Errorf("Mix64(%#x) = %#x, want %#x", in, got, want)
		}
	}
}

func TestMix64AvalanchesEveryBit(t *testing.T) {
	// Flipping any input bit flips about half of the output bits.
	for i := range 64 {
		var flipped int
		for x := uint64(1); x < 1<<12; x++ {
			flipped += bits.OnesCount64(Mix64(x) ^ Mix64(x^(1<<i)))
		}
		if avg := float64(flipped) / float64(1<<12-1); avg < 28 || avg > 36 {
			t.Errorf("bit %d: %.1f output bits flip on average, want about 32", i, avg)
		}
	}
}
