package backend

import "fmt"

// ContainerRunningError refuses to remove a running (or paused) container
// without force. Error is dockerd's message since engine 25 (API 1.44);
// Legacy is the one before, which older clients and their tests look for
// (docker-py 5: "You cannot remove a running container").
type ContainerRunningError struct {
	ID, Name string
	Paused   bool
}

func (e *ContainerRunningError) Error() string {
	if e.Paused {
		return fmt.Sprintf("cannot remove container %q: container is paused and must be unpaused first", e.Name)
	}
	return fmt.Sprintf("cannot remove container %q: container is running: stop the container before removing or force remove", e.Name)
}

// Legacy is the message of dockerd before engine 25.
func (e *ContainerRunningError) Legacy() string {
	if e.Paused {
		return fmt.Sprintf("You cannot remove a paused container %s. Unpause and then stop the container before attempting removal or force remove", e.ID)
	}
	return fmt.Sprintf("You cannot remove a running container %s. Stop the container before attempting removal or force remove", e.ID)
}
