"""Progress views: outcome trends, belief trajectories and the server-rendered SVG charts."""
