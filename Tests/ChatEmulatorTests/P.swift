import Testing; import WSClient
