//go:build !race

package piiscrub

const raceEnabled = false
