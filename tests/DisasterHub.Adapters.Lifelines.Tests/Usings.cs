global using DisasterHub.Testing;
