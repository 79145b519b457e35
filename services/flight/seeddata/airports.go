package seeddata

import "github.com/skyfly/skyfly/services/flight"

// Airports returns the demo network's airports: real IATA codes, names,
// IANA zones and coordinates on six continents.
func Airports() []flight.Airport {
	return []flight.Airport{
		// hubs
		{Code: "JFK", Name: "John F. Kennedy International Airport", City: "New York", Country: "US", Zone: "America/New_York", Lat: 40.6413, Lon: -73.7781},
		{Code: "LHR", Name: "Heathrow Airport", City: "London", Country: "GB", Zone: "Europe/London", Lat: 51.4700, Lon: -0.4543},
		{Code: "FRA", Name: "Frankfurt Airport", City: "Frankfurt", Country: "DE", Zone: "Europe/Berlin", Lat: 50.0379, Lon: 8.5622},
		{Code: "DXB", Name: "Dubai International Airport", City: "Dubai", Country: "AE", Zone: "Asia/Dubai", Lat: 25.2532, Lon: 55.3657},
		{Code: "SIN", Name: "Singapore Changi Airport", City: "Singapore", Country: "SG", Zone: "Asia/Singapore", Lat: 1.3644, Lon: 103.9915},
		// North America
		{Code: "BOS", Name: "Logan International Airport", City: "Boston", Country: "US", Zone: "America/New_York", Lat: 42.3656, Lon: -71.0096},
		{Code: "ORD", Name: "O'Hare International Airport", City: "Chicago", Country: "US", Zone: "America/Chicago", Lat: 41.9742, Lon: -87.9073},
		{Code: "LAX", Name: "Los Angeles International Airport", City: "Los Angeles", Country: "US", Zone: "America/Los_Angeles", Lat: 33.9416, Lon: -118.4085},
		{Code: "SFO", Name: "San Francisco International Airport", City: "San Francisco", Country: "US", Zone: "America/Los_Angeles", Lat: 37.6213, Lon: -122.3790},
		{Code: "MIA", Name: "Miami International Airport", City: "Miami", Country: "US", Zone: "America/New_York", Lat: 25.7959, Lon: -80.2870},
		{Code: "ATL", Name: "Hartsfield-Jackson Atlanta International Airport", City: "Atlanta", Country: "US", Zone: "America/New_York", Lat: 33.6407, Lon: -84.4277},
		{Code: "SEA", Name: "Seattle-Tacoma International Airport", City: "Seattle", Country: "US", Zone: "America/Los_Angeles", Lat: 47.4502, Lon: -122.3088},
		{Code: "DFW", Name: "Dallas Fort Worth International Airport", City: "Dallas", Country: "US", Zone: "America/Chicago", Lat: 32.8998, Lon: -97.0403},
		{Code: "IAD", Name: "Washington Dulles International Airport", City: "Washington", Country: "US", Zone: "America/New_York", Lat: 38.9531, Lon: -77.4565},
		{Code: "YYZ", Name: "Toronto Pearson International Airport", City: "Toronto", Country: "CA", Zone: "America/Toronto", Lat: 43.6777, Lon: -79.6248},
		{Code: "YVR", Name: "Vancouver International Airport", City: "Vancouver", Country: "CA", Zone: "America/Vancouver", Lat: 49.1967, Lon: -123.1815},
		{Code: "MEX", Name: "Mexico City International Airport", City: "Mexico City", Country: "MX", Zone: "America/Mexico_City", Lat: 19.4361, Lon: -99.0719},
		// South America
		{Code: "GRU", Name: "São Paulo/Guarulhos International Airport", City: "São Paulo", Country: "BR", Zone: "America/Sao_Paulo", Lat: -23.4356, Lon: -46.4731},
		{Code: "EZE", Name: "Ministro Pistarini International Airport", City: "Buenos Aires", Country: "AR", Zone: "America/Argentina/Buenos_Aires", Lat: -34.8222, Lon: -58.5358},
		{Code: "BOG", Name: "El Dorado International Airport", City: "Bogotá", Country: "CO", Zone: "America/Bogota", Lat: 4.7016, Lon: -74.1469},
		{Code: "LIM", Name: "Jorge Chávez International Airport", City: "Lima", Country: "PE", Zone: "America/Lima", Lat: -12.0219, Lon: -77.1143},
		// Europe
		{Code: "CDG", Name: "Paris Charles de Gaulle Airport", City: "Paris", Country: "FR", Zone: "Europe/Paris", Lat: 49.0097, Lon: 2.5479},
		{Code: "AMS", Name: "Amsterdam Airport Schiphol", City: "Amsterdam", Country: "NL", Zone: "Europe/Amsterdam", Lat: 52.3105, Lon: 4.7683},
		{Code: "MAD", Name: "Adolfo Suárez Madrid-Barajas Airport", City: "Madrid", Country: "ES", Zone: "Europe/Madrid", Lat: 40.4983, Lon: -3.5676},
		{Code: "FCO", Name: "Leonardo da Vinci-Fiumicino Airport", City: "Rome", Country: "IT", Zone: "Europe/Rome", Lat: 41.8003, Lon: 12.2389},
		{Code: "MUC", Name: "Munich Airport", City: "Munich", Country: "DE", Zone: "Europe/Berlin", Lat: 48.3537, Lon: 11.7750},
		{Code: "BER", Name: "Berlin Brandenburg Airport", City: "Berlin", Country: "DE", Zone: "Europe/Berlin", Lat: 52.3667, Lon: 13.5033},
		{Code: "HAM", Name: "Hamburg Airport", City: "Hamburg", Country: "DE", Zone: "Europe/Berlin", Lat: 53.6304, Lon: 9.9882},
		{Code: "ZRH", Name: "Zurich Airport", City: "Zurich", Country: "CH", Zone: "Europe/Zurich", Lat: 47.4582, Lon: 8.5555},
		{Code: "VIE", Name: "Vienna International Airport", City: "Vienna", Country: "AT", Zone: "Europe/Vienna", Lat: 48.1103, Lon: 16.5697},
		{Code: "CPH", Name: "Copenhagen Airport", City: "Copenhagen", Country: "DK", Zone: "Europe/Copenhagen", Lat: 55.6180, Lon: 12.6508},
		{Code: "DUB", Name: "Dublin Airport", City: "Dublin", Country: "IE", Zone: "Europe/Dublin", Lat: 53.4264, Lon: -6.2499},
		{Code: "LIS", Name: "Humberto Delgado Airport", City: "Lisbon", Country: "PT", Zone: "Europe/Lisbon", Lat: 38.7742, Lon: -9.1342},
		{Code: "MAN", Name: "Manchester Airport", City: "Manchester", Country: "GB", Zone: "Europe/London", Lat: 53.3588, Lon: -2.2727},
		{Code: "EDI", Name: "Edinburgh Airport", City: "Edinburgh", Country: "GB", Zone: "Europe/London", Lat: 55.9508, Lon: -3.3615},
		{Code: "IST", Name: "Istanbul Airport", City: "Istanbul", Country: "TR", Zone: "Europe/Istanbul", Lat: 41.2753, Lon: 28.7519},
		{Code: "ATH", Name: "Athens International Airport", City: "Athens", Country: "GR", Zone: "Europe/Athens", Lat: 37.9364, Lon: 23.9445},
		// Middle East and Africa
		{Code: "DOH", Name: "Hamad International Airport", City: "Doha", Country: "QA", Zone: "Asia/Qatar", Lat: 25.2731, Lon: 51.6081},
		{Code: "CAI", Name: "Cairo International Airport", City: "Cairo", Country: "EG", Zone: "Africa/Cairo", Lat: 30.1219, Lon: 31.4056},
		{Code: "JNB", Name: "O. R. Tambo International Airport", City: "Johannesburg", Country: "ZA", Zone: "Africa/Johannesburg", Lat: -26.1392, Lon: 28.2460},
		{Code: "NBO", Name: "Jomo Kenyatta International Airport", City: "Nairobi", Country: "KE", Zone: "Africa/Nairobi", Lat: -1.3192, Lon: 36.9278},
		{Code: "CMN", Name: "Mohammed V International Airport", City: "Casablanca", Country: "MA", Zone: "Africa/Casablanca", Lat: 33.3675, Lon: -7.5898},
		// Asia
		{Code: "HND", Name: "Tokyo Haneda Airport", City: "Tokyo", Country: "JP", Zone: "Asia/Tokyo", Lat: 35.5494, Lon: 139.7798},
		{Code: "ICN", Name: "Incheon International Airport", City: "Seoul", Country: "KR", Zone: "Asia/Seoul", Lat: 37.4602, Lon: 126.4407},
		{Code: "HKG", Name: "Hong Kong International Airport", City: "Hong Kong", Country: "HK", Zone: "Asia/Hong_Kong", Lat: 22.3080, Lon: 113.9185},
		{Code: "PEK", Name: "Beijing Capital International Airport", City: "Beijing", Country: "CN", Zone: "Asia/Shanghai", Lat: 40.0799, Lon: 116.6031},
		{Code: "BKK", Name: "Suvarnabhumi Airport", City: "Bangkok", Country: "TH", Zone: "Asia/Bangkok", Lat: 13.6900, Lon: 100.7501},
		{Code: "KUL", Name: "Kuala Lumpur International Airport", City: "Kuala Lumpur", Country: "MY", Zone: "Asia/Kuala_Lumpur", Lat: 2.7456, Lon: 101.7072},
		{Code: "CGK", Name: "Soekarno-Hatta International Airport", City: "Jakarta", Country: "ID", Zone: "Asia/Jakarta", Lat: -6.1256, Lon: 106.6559},
		{Code: "MNL", Name: "Ninoy Aquino International Airport", City: "Manila", Country: "PH", Zone: "Asia/Manila", Lat: 14.5086, Lon: 121.0194},
		{Code: "DEL", Name: "Indira Gandhi International Airport", City: "Delhi", Country: "IN", Zone: "Asia/Kolkata", Lat: 28.5562, Lon: 77.1000},
		{Code: "BOM", Name: "Chhatrapati Shivaji Maharaj International Airport", City: "Mumbai", Country: "IN", Zone: "Asia/Kolkata", Lat: 19.0896, Lon: 72.8656},
		// Oceania
		{Code: "SYD", Name: "Sydney Kingsford Smith Airport", City: "Sydney", Country: "AU", Zone: "Australia/Sydney", Lat: -33.9399, Lon: 151.1753},
		{Code: "MEL", Name: "Melbourne Airport", City: "Melbourne", Country: "AU", Zone: "Australia/Melbourne", Lat: -37.6690, Lon: 144.8410},
		{Code: "PER", Name: "Perth Airport", City: "Perth", Country: "AU", Zone: "Australia/Perth", Lat: -31.9385, Lon: 115.9672},
		{Code: "AKL", Name: "Auckland Airport", City: "Auckland", Country: "NZ", Zone: "Pacific/Auckland", Lat: -37.0082, Lon: 174.7850},
	}
}
