// Package control is what `wharf dashboard` and wharfd share about the
// dashboard's login route on the API socket, without the embedded front
// end the dashboard package carries.
package control

// Path is the route on the API socket that hands out login links (POST).
const Path = "/_wharf/dashboard/login"

// LoginLink is Path's answer.
type LoginLink struct {
	URL string // the dashboard's address with a one-time login token
}
