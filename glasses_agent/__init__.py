"""The glasses assistant: dialogue, intents, skills, service back-ends, cards and speech."""
