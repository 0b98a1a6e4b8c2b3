package daemon

// Shutdown is what a clean stop of wharfd does once the API has
// stopped: containers keep running (conmon holds them); the firewall
// rules go if no container runs.
func (d *Daemon) Shutdown() {
	d.networks.Shutdown()
}
