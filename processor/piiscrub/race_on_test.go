//go:build race

package piiscrub

const raceEnabled = true
