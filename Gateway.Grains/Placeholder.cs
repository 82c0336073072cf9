namespace Gateway.Grains; internal static class Placeholder {}
