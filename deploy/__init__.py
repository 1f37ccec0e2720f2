"""Running the API as it is deployed: the image check and a fleet of replicas on one machine."""
